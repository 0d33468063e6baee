"""Where a landing file version's derived objects live, and the conversion record kept beside them.

Every name is derived from the file version (key@ETag), so re-running a conversion overwrites the same
objects instead of adding new ones, and a re-written landing object gets new derived objects.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion

# ignored: nothing to load by design (a zero-byte marker such as Spark's _SUCCESS), still recorded and ledgered
ConversionStatus = Literal["converted", "partial", "rejected", "ignored"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(version: FileVersion) -> str:
    """A name safe in any S3 URI or COPY manifest: the file name made plain, plus the version's short id."""
    filename = version.key.rsplit("/", 1)[-1]
    return f"{_UNSAFE.sub('_', filename)[:100]}.{version.short_id}"


def part_key(settings: Settings, table: str, partition: str, version: FileVersion) -> str:
    return settings.lake_key(table, partition, f"{safe_name(version)}.parquet")


def record_key(settings: Settings, dataset: Dataset, partition: str, version: FileVersion) -> str:
    return settings.lake_key(f"_conversions/{dataset.name}", partition, f"{safe_name(version)}.json")


def attempts_key(settings: Settings, dataset: Dataset, partition: str, version: FileVersion) -> str:
    """Beside the conversion record: how many times converting this version started without finishing."""
    return record_key(settings, dataset, partition, version) + ".attempts"


def load_attempts_key(settings: Settings, dataset: Dataset, partition: str) -> str:
    """One per partition: the file versions whose warehouse load started and has not ended (see load_attempts)."""
    return settings.lake_key(f"_conversions/{dataset.name}", partition, "_load.attempts.json")


def schema_state_key(settings: Settings, dataset: Dataset) -> str:
    """The dataset's schema state: undeclared fields already reported, columns schema evolution added."""
    return f"{settings.lake_prefix.strip('/')}/_schemas/{dataset.name}.json"


def quarantine_key(settings: Settings, dataset: Dataset, partition: str, version: FileVersion, suffix: str) -> str:
    return settings.quarantine_key(dataset.name, partition, f"{safe_name(version)}{suffix}")


@dataclass(frozen=True)
class ConvertedFile:
    """What converting one landing file version produced; stored as JSON next to the lake Parquet."""

    source: FileVersion
    partition: str
    status: ConversionStatus
    input_format: str = ""
    total_records: int = 0
    parts: dict[str, str] = field(default_factory=dict)  # table -> s3:// URI of the canonical Parquet
    rows: dict[str, int] = field(default_factory=dict)
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
