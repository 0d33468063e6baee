"""What the landing sensor decides from what it found: pure, so every rule is unit-tested without S3 or Dagster.

A run is requested per partition (landing date). Its run key is the partition plus a digest of the file versions
that motivated it, so re-evaluating the same tick requests nothing twice, while a new or re-written file (new
ETag) makes a new request. The run itself loads every file of its partition that the ledger does not hold yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from order_pipeline.landing.keys import FileVersion, days_between, partition_of, version_digest


@dataclass(frozen=True)
class PartitionRequest:
    partition: str
    versions: tuple[FileVersion, ...]  # the new or unloaded file versions that motivate the run
    trigger: str  # what found them: listing, event, backlog or reconcile
    attempt: int = 0  # reconcile: how many reconcile ticks in a row found these versions unloaded

    @property
    def run_key(self) -> str:
        key = f"{self.partition}:{version_digest(self.versions)}"
        return f"{key}:r{self.attempt}" if self.attempt else key


def group_by_partition(versions: Iterable[FileVersion]) -> dict[str, list[FileVersion]]:
    grouped: dict[str, list[FileVersion]] = {}
    for version in versions:
        grouped.setdefault(partition_of(version.key, version.last_modified), []).append(version)
    return dict(sorted(grouped.items()))


def scan_window(through: str | None, today: date, lookback_days: int, first_day: date) -> list[date]:
    """The landing dates a listing tick lists: from the last covered date minus the lookback, up to today."""
    anchor = min(date.fromisoformat(through), today) if through else today
    start = max(first_day, anchor - timedelta(days=lookback_days))
    return days_between(start, today) if start <= today else []


def listing_changes(
    digests: Mapping[str, str], grouped: Mapping[str, Sequence[FileVersion]], window: Sequence[date]
) -> tuple[list[PartitionRequest], dict[str, str]]:
    """Partitions of the window whose set of files changed since the last tick, and the digests to remember.

    Only dates inside the window are remembered, so the cursor is bounded by the window's length."""
    days = {day.isoformat() for day in window}
    changed: list[PartitionRequest] = []
    remembered: dict[str, str] = {}
    for partition, versions in grouped.items():
        if partition not in days or not versions:
            continue
        digest = version_digest(versions)
        remembered[partition] = digest
        if digests.get(partition) != digest:
            changed.append(PartitionRequest(partition, tuple(versions), "listing"))
    return changed, remembered


def not_in_ledger(versions: Iterable[FileVersion], ledger: set[tuple[str, str]]) -> list[FileVersion]:
    """File versions the ledger holds no row for (loaded, quarantined and dead-lettered versions all have one)."""
    return [v for v in versions if (v.key, v.etag) not in ledger]


def split_backlog(backlog: Sequence[str], limit: int) -> tuple[list[str], tuple[str, ...]]:
    """The next `limit` partitions of the backlog to check against the ledger this tick, and the rest."""
    return list(backlog[:limit]), tuple(backlog[limit:])


def discovered_backlog(partitions: Iterable[str], first_day: date, today: date) -> tuple[str, ...]:
    """Every discovered landing date inside the partitions' range, newest first: recent data is loaded first."""
    low, high = first_day.isoformat(), today.isoformat()
    return tuple(sorted({p for p in partitions if low <= p <= high}, reverse=True))


def merge_requests(requests: Iterable[PartitionRequest]) -> list[PartitionRequest]:
    """One request per partition: the union of its file versions, its triggers joined."""
    merged: dict[str, tuple[dict[str, FileVersion], list[str]]] = {}
    for request in requests:
        versions, triggers = merged.setdefault(request.partition, ({}, []))
        for version in request.versions:
            versions[version.version_id] = version
        if request.trigger not in triggers:
            triggers.append(request.trigger)
    return [
        PartitionRequest(partition, tuple(versions.values()), "+".join(triggers))
        for partition, (versions, triggers) in sorted(merged.items())
    ]
