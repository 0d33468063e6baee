"""Whether a partition's files made it to the lake, as numbers and reasons: what the quarantine check shows.

A partition fails when every file that was not ignored was quarantined, or when the records it lost (rejected
records of loaded files, plus every record of quarantined files) exceed the dataset's limits
(`max_bad_records`, `max_bad_ratio`) — never a silent green run over an empty table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.steps.lake.lake_files import ConvertedFile

MAX_REASONS = 20  # files listed with their reason


@dataclass(frozen=True)
class PartitionStatus:
    files: int
    files_loadable: int
    files_quarantined: int
    files_ignored: int
    records: int  # records in the files that were not ignored
    records_lost: int  # rejected records of loadable files + every record of quarantined files
    reasons: list[dict[str, str]] = field(default_factory=list)  # {file, status, reason}, quarantined first
    failure: str | None = None  # why the partition fails its check

    @property
    def passed(self) -> bool:
        return self.failure is None


def _reason(converted: ConvertedFile) -> str:
    if converted.status == "rejected":
        return converted.error or "quarantined"
    first = converted.first_rejects[0] if converted.first_rejects else {}
    field_name = f"{first.get('field')}: " if first.get("field") else ""
    return (
        f"{converted.rejected_records} records rejected, e.g. record {first.get('record')}: "
        f"{field_name}{first.get('reason', '')}"
    )


class PartitionTally:
    """The partition status built file by file: counts and the first MAX_REASONS reasons, never every record."""

    def __init__(self) -> None:
        self.files = self.loadable = self.quarantined = self.ignored = 0
        self.records = self.lost = 0
        self._quarantined_reasons: list[dict[str, str]] = []
        self._reject_reasons: list[dict[str, str]] = []

    def add(self, record: ConvertedFile) -> None:
        self.files += 1
        if record.status == "ignored":
            self.ignored += 1
            return
        self.records += record.total_records
        if record.status == "rejected":
            self.quarantined += 1
            self.lost += record.total_records
            reasons = self._quarantined_reasons
        elif record.loadable:
            self.loadable += 1
            self.lost += record.rejected_records
            reasons = self._reject_reasons if record.rejected_records else []
        else:
            return
        if len(reasons) < MAX_REASONS:
            reasons.append({"file": record.source.uri, "status": record.status, "reason": _reason(record)})

    def status(self, dataset: Dataset) -> PartitionStatus:
        quarantined, loadable, total, lost = self.quarantined, self.loadable, self.records, self.lost
        failure = None
        if quarantined and not loadable:
            failure = f"all {quarantined} file(s) of the partition were quarantined"
        elif lost > dataset.max_bad_records:
            failure = (
                f"{lost} of {total} records were rejected or quarantined, more than the dataset allows "
                f"({dataset.max_bad_records})"
            )
        elif total and lost / total > dataset.max_bad_ratio:
            failure = (
                f"{lost} of {total} records ({lost / total:.0%}) were rejected or quarantined, more than the "
                f"dataset allows ({dataset.max_bad_ratio:.0%})"
            )
        return PartitionStatus(
            files=self.files,
            files_loadable=loadable,
            files_quarantined=quarantined,
            files_ignored=self.ignored,
            records=total,
            records_lost=lost,
            reasons=(self._quarantined_reasons + self._reject_reasons)[:MAX_REASONS],
            failure=failure,
        )


def partition_status(dataset: Dataset, records: Iterable[ConvertedFile]) -> PartitionStatus:
    tally = PartitionTally()
    for record in records:
        tally.add(record)
    return tally.status(dataset)
