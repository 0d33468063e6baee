"""The conversion record of a landing file version: what converting it produced, stored beside its lake Parquet
(where: `order_pipeline.layout.LakeLayout.record_key`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from order_pipeline.conversion.result import ConversionStatus
from order_pipeline.landing import FileVersion

# ignored: nothing to load by design (a zero-byte marker such as Spark's _SUCCESS), still recorded and ledgered
RecordStatus = ConversionStatus | Literal["ignored"]


@dataclass(frozen=True)
class ConvertedFile:
    """What converting one landing file version produced; stored as JSON next to the lake Parquet."""

    source: FileVersion
    partition: str
    status: RecordStatus
    input_format: str = ""
    total_records: int = 0
    parts: dict[str, str] = field(default_factory=dict)  # table -> s3:// URI of the canonical Parquet
    rows: dict[str, int] = field(default_factory=dict)
    part_etags: dict[str, str] = field(default_factory=dict)  # table -> ETag S3 gave its part (finds local copies)
    rejected_records: int = 0
    rejects_uri: str | None = None  # quarantined rejected records (JSON Lines with reasons)
    quarantine_uri: str | None = None  # the whole file, when it was rejected
    error: str | None = None
    first_rejects: list[dict[str, Any]] = field(default_factory=list)
    # records read = rows written + rejected, as checked at the end of the conversion (accounting.RecordCounts)
    counts: dict[str, int] = field(default_factory=dict)
    attempts: int = 1  # conversion attempts this version took (more than one: earlier ones were cut short)
    undeclared: dict[str, str] = field(default_factory=dict)  # fields the file holds, not declared: path -> type
    drift_reported: list[str] = field(default_factory=list)  # of those, the ones this file reported first
    drift_notes: dict[str, str] = field(default_factory=dict)  # path -> why schema evolution did not add it
    undeclared_more: int = 0  # undeclared fields past ORDER_PIPELINE_MAX_DRIFT_PATHS, not listed in `undeclared`
    drift_untracked: int = 0  # undeclared fields the schema state did not keep (it was full): counted only
    drift_state_filled: bool = False  # this file was the first the full schema state could not keep (told once)
    evolved: list[str] = field(default_factory=list)  # evolved columns its parent part holds, in order

    @property
    def loadable(self) -> bool:
        """Whether the file has rows for the warehouse (a rejected or ignored one only gets a ledger row)."""
        return self.status in ("converted", "partial")

    def to_json(self) -> str:
        data = asdict(self)
        data["source"]["last_modified"] = self.source.last_modified.isoformat()
        return json.dumps(data, default=str, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> ConvertedFile:
        data = json.loads(text)
        source = data.pop("source")
        source["last_modified"] = datetime.fromisoformat(source["last_modified"])
        return cls(source=FileVersion(**source), **data)
