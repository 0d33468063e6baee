"""Conversion engine: an input file of any supported format -> canonical Parquet per table, validated.

The engine (pyarrow, the readers) loads on first use of `convert_file` or `detect_format`: importing a light
submodule (`conversion.result`, whose statuses the step records name) does not import pyarrow, so the code
location does not either (issue 24: a run worker loads it before its first step)."""

from typing import TYPE_CHECKING, Any

from order_pipeline.conversion.errors import ConversionError, UnsupportedFile
from order_pipeline.conversion.result import ConversionResult

if TYPE_CHECKING:
    from order_pipeline.conversion.engine import convert_file
    from order_pipeline.conversion.read.formats import detect_format

__all__ = ["ConversionError", "ConversionResult", "UnsupportedFile", "convert_file", "detect_format"]


def __getattr__(name: str) -> Any:
    if name == "convert_file":
        from order_pipeline.conversion.engine import convert_file

        return convert_file
    if name == "detect_format":
        from order_pipeline.conversion.read.formats import detect_format

        return detect_format
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
