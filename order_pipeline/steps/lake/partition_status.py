"""Whether a partition's files made it to the lake, as numbers and reasons: what the quarantine check shows.

A partition fails when every file that was not ignored was quarantined, or when the records it lost (rejected
records of loaded files, plus every record of quarantined files) exceed the dataset's limits
(`max_bad_records`, `max_bad_ratio`) — never a silent green run over an empty table.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def partition_status(dataset: Dataset, records: Sequence[ConvertedFile]) -> PartitionStatus:
    counted = [r for r in records if r.status != "ignored"]
    quarantined = [r for r in counted if r.status == "rejected"]
    loadable = [r for r in counted if r.loadable]
    total = sum(r.total_records for r in counted)
    lost = sum(r.rejected_records for r in loadable) + sum(r.total_records for r in quarantined)
    reasons = [
        {"file": r.source.uri, "status": r.status, "reason": _reason(r)}
        for r in (*quarantined, *(r for r in loadable if r.rejected_records))
    ][:MAX_REASONS]
    failure = None
    if quarantined and not loadable:
        failure = f"all {len(quarantined)} file(s) of the partition were quarantined"
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
        files=len(records),
        files_loadable=len(loadable),
        files_quarantined=len(quarantined),
        files_ignored=len(records) - len(counted),
        records=total,
        records_lost=lost,
        reasons=reasons,
        failure=failure,
    )
