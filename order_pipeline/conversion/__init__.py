"""Conversion engine: an input file of any supported format -> canonical Parquet per table, validated."""

from order_pipeline.conversion.engine import convert_file
from order_pipeline.conversion.errors import ConversionError, UnsupportedFile
from order_pipeline.conversion.read.formats import detect_format
from order_pipeline.conversion.result import ConversionResult

__all__ = ["ConversionError", "ConversionResult", "UnsupportedFile", "convert_file", "detect_format"]
