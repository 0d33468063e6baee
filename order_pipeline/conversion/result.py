"""The outcome of converting one input file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ConversionStatus = Literal["converted", "partial", "rejected"]


@dataclass(frozen=True)
class ConversionResult:
    source_name: str
    status: ConversionStatus  # partial: some records rejected, the rest converted
    total_records: int
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table
    outputs: dict[str, Path] = field(default_factory=dict)  # Parquet file per table (empty when rejected)
    rejected_records: int = 0
    rejects_path: Path | None = None
    file_error: str | None = None  # why the whole file was rejected
    first_rejects: tuple[dict[str, Any], ...] = ()  # up to 10 reject reports, as in rejects.jsonl
    input_format: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # read, written, rejected (see accounting.RecordCounts)
