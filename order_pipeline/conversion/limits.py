"""What one input file may cost: each limit a setting (config.py, README "Conversion limits"), each breach a
quarantine (or, for one record, a reject) whose reason names the limit and its setting.

Pure: no environment reads here; the settings build a ConversionLimits, tests and benchmarks make their own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from order_pipeline.conversion.errors import ConversionError


@dataclass(frozen=True)
class ConversionLimits:
    max_decompressed_bytes: int = 8 << 30  # what a gzip file may expand to
    max_compression_ratio: int = 200  # decompressed / compressed bytes (past ratio_grace_bytes)
    # The ratio is only judged past this many decompressed bytes: JSON of repeated values compresses ~1000:1, so a
    # valid 644 KB gzip may hold 630 MB; memory is bounded by chunking, not by this limit.
    ratio_grace_bytes: int = 1 << 30
    max_record_bytes: int = 32 << 20  # one JSON Lines line or JSON document element
    max_nesting_depth: int = 64  # arrays and objects inside one JSON document element
    max_row_group_bytes: int = 1 << 30  # uncompressed bytes of the read columns of one Parquet row group
    max_parquet_columns: int = 1000  # leaf columns of a Parquet file
    document_chunk_bytes: int = 4 << 20  # JSON document elements are parsed in chunks of about this many bytes
    # Schema drift (datasets/evolution.py): undeclared paths a dataset's schema state keeps (and a file's record
    # lists; the rest are counted), and columns `new_columns="add"` may add in all (the rest refused, told once).
    max_drift_paths: int = 500
    max_evolved_columns: int = 100


DEFAULT_LIMITS = ConversionLimits()
LIMIT_NAMES = tuple(field.name for field in fields(ConversionLimits))

# The variable that sets each limit (config.py reads them; a reason names the one breached).
SETTING = {
    "max_decompressed_bytes": "ORDER_PIPELINE_MAX_DECOMPRESSED_BYTES",
    "max_compression_ratio": "ORDER_PIPELINE_MAX_COMPRESSION_RATIO",
    "ratio_grace_bytes": "ORDER_PIPELINE_RATIO_GRACE_BYTES",
    "max_record_bytes": "ORDER_PIPELINE_MAX_RECORD_BYTES",
    "max_nesting_depth": "ORDER_PIPELINE_MAX_NESTING_DEPTH",
    "max_row_group_bytes": "ORDER_PIPELINE_MAX_ROW_GROUP_BYTES",
    "max_parquet_columns": "ORDER_PIPELINE_MAX_PARQUET_COLUMNS",
    "document_chunk_bytes": "ORDER_PIPELINE_DOCUMENT_CHUNK_BYTES",
    "max_drift_paths": "ORDER_PIPELINE_MAX_DRIFT_PATHS",
    "max_evolved_columns": "ORDER_PIPELINE_MAX_EVOLVED_COLUMNS",
}


class LimitExceeded(ConversionError):
    """A file costs more than a limit allows: quarantined whole, the limit named."""

    def __init__(self, name: str, what: str, limit: str, value: int) -> None:
        super().__init__(f"{name}: {what}, above the limit {limit}={value} ({SETTING[limit]})")
        self.limit = limit


def limit_reason(what: str, limit: str, value: int) -> str:
    """A record's reject reason for a breached per-record limit."""
    return f"{what}, above the limit {limit}={value} ({SETTING[limit]})"
