"""What the lake step tells about a date, built file by file in bounded memory: counts, totals and the first few
of each list (LIST_LIMIT), never every conversion record, so a date of 100,000 files costs what one of 100 does."""

from __future__ import annotations

from dataclasses import dataclass, field

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.partition_status import PartitionStatus, PartitionTally

LIST_LIMIT = 50  # URIs kept per list: the first LIST_LIMIT, beside the count
MAX_PATHS = 500  # undeclared paths kept for the date's drift table (the rest counted)
SAMPLE_FILES = 21  # files kept for the per-file table (it shows 20 and "…")


@dataclass(frozen=True)
class FileSample:
    key: str
    status: str
    records: int
    rows: dict[str, int]
    rejected: int


@dataclass
class LakeSummary:
    files: int = 0
    converted_now: int = 0
    quarantined: int = 0
    ignored: int = 0
    records_rejected: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows over every file
    parts: dict[str, list[str]] = field(default_factory=dict)  # table -> its first LIST_LIMIT part URIs
    parts_total: dict[str, int] = field(default_factory=dict)
    newly_landed: list[str] = field(default_factory=list)  # the first LIST_LIMIT URIs converted now
    samples: list[FileSample] = field(default_factory=list)
    undeclared: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (type, files holding it)
    evolved: set[str] = field(default_factory=set)
    undeclared_more: int = 0  # undeclared paths past MAX_PATHS (or past a file record's list), counted only
    drift_untracked: int = 0  # undeclared paths the schema state could not keep (it was full)
    columns_refused: dict[str, str] = field(default_factory=dict)  # the first LIST_LIMIT fields refused, why
    tally: PartitionTally = field(default_factory=PartitionTally)

    def add(self, record: ConvertedFile, converted_now: bool) -> None:
        self.files += 1
        self.tally.add(record)
        if converted_now:
            self.converted_now += 1
            if len(self.newly_landed) < LIST_LIMIT:
                self.newly_landed.append(record.source.uri)
        self.quarantined += record.status == "rejected"
        self.ignored += record.status == "ignored"
        self.records_rejected += record.rejected_records
        for table, rows in record.rows.items():
            self.rows[table] = self.rows.get(table, 0) + rows
        for table, uri in record.parts.items():
            if not uri:
                continue
            self.parts_total[table] = self.parts_total.get(table, 0) + 1
            kept = self.parts.setdefault(table, [])
            if len(kept) < LIST_LIMIT:
                kept.append(uri)
        if len(self.samples) < SAMPLE_FILES:
            self.samples.append(
                FileSample(
                    record.source.key, record.status, record.total_records, dict(record.rows), record.rejected_records
                )
            )
        for path, type_ in record.undeclared.items():
            if path in self.undeclared or len(self.undeclared) < MAX_PATHS:
                self.undeclared[path] = (type_, self.undeclared.get(path, (type_, 0))[1] + 1)
            else:
                self.undeclared_more += 1
        self.undeclared_more += record.undeclared_more
        self.drift_untracked += record.drift_untracked
        for path, why in record.drift_notes.items():
            if "MAX_EVOLVED_COLUMNS" in why and len(self.columns_refused) < LIST_LIMIT:
                self.columns_refused[path] = why
        self.evolved.update(record.evolved)

    def status(self, dataset: Dataset) -> PartitionStatus:
        """The quarantine check's view of the date (partition_status over every file added)."""
        return self.tally.status(dataset)
