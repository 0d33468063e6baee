"""Per landing date: what landed, what the ledger says became of it, and how late it was loaded — what
`order-pipeline status` prints. Dagster-free: S3 and the warehouse are read as the reconcile reads them.

A landed file version is counted by its ledger status (loaded, quarantined, dead-lettered); one with no ledger row
is "not loaded" and named with its age. It is *overdue* once older than the reconcile's minimum age: younger files
are still the landing sensor's to load. Lag is loaded_at - landed_at of the loaded files (the load_history view).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from order_pipeline.aws.s3_landing import files_of, scan_landing_tree
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing.keys import FileVersion
from order_pipeline.steps.sensors.landing_tick import LandingSource
from order_pipeline.warehouse.base import HistoryRow, Warehouse


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (`share` in 0..1) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Lag:
    """Seconds from landing to the ledger row, over a date's loaded files."""

    p50: float | None = None
    p95: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Lag:
        return cls(percentile(seconds, 0.5), percentile(seconds, 0.95), max(seconds) if seconds else None)

    def as_dict(self) -> dict[str, float | None]:
        return {"p50": self.p50, "p95": self.p95, "max": self.max}

    def __str__(self) -> str:
        if self.max is None:
            return "no lag (nothing loaded)"
        return f"lag p50 {_duration(self.p50)}, p95 {_duration(self.p95)}, max {_duration(self.max)}"


@dataclass(frozen=True)
class Unloaded:
    uri: str
    etag: str
    landed_at: datetime
    age_seconds: float
    overdue: bool  # older than the reconcile's minimum age

    def as_dict(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "etag": self.etag,
            "landed_at": self.landed_at.isoformat(),
            "age_seconds": round(self.age_seconds, 3),
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class DateStatus:
    partition: str
    landed: int
    loaded: int
    quarantined: int
    dead_lettered: int
    not_loaded: tuple[Unloaded, ...]
    rows: int  # rows of the parent table the loaded files brought
    lag: Lag

    @property
    def overdue(self) -> list[Unloaded]:
        return [u for u in self.not_loaded if u.overdue]

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.partition,
            "landed": self.landed,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "dead_lettered": self.dead_lettered,
            "not_loaded": [u.as_dict() for u in self.not_loaded],
            "rows": self.rows,
            "lag_seconds": self.lag.as_dict(),
        }

    def __str__(self) -> str:
        text = (
            f"{self.partition}: {self.landed} landed, {self.loaded} loaded, {self.quarantined} quarantined, "
            f"{self.dead_lettered} dead-lettered, {len(self.not_loaded)} not loaded; {self.rows} rows; {self.lag}"
        )
        for unloaded in self.not_loaded:
            state = "OVERDUE" if unloaded.overdue else "still the landing sensor's"
            text += f"\n    not loaded: {unloaded.uri} (landed {_duration(unloaded.age_seconds)} ago, {state})"
        return text


@dataclass
class DatasetStatus:
    dataset: str
    min_age_seconds: int
    dates: list[DateStatus] = field(default_factory=list)

    @property
    def overdue(self) -> list[Unloaded]:
        return [u for d in self.dates for u in d.overdue]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "min_age_seconds": self.min_age_seconds,
            "overdue": len(self.overdue),
            "dates": [d.as_dict() for d in self.dates],
        }

    def __str__(self) -> str:
        head = f"{self.dataset}: {len(self.dates)} landing dates"
        if self.overdue:
            head += f"; {len(self.overdue)} file(s) landed over {_duration(self.min_age_seconds)} ago are NOT LOADED"
        return "\n".join([head, *(f"  {d}" for d in self.dates)])


def date_status(
    partition: str, landed: Sequence[FileVersion], history: Sequence[HistoryRow], now: datetime, *, min_age_seconds: int
) -> DateStatus:
    """One date from what landed and its ledger rows. Pure."""
    by_version = {(row.key, row.etag): row for row in history}
    statuses = {"loaded": 0, "quarantined": 0, "dead_letter": 0}
    lags: list[float] = []
    rows = 0
    unloaded: list[Unloaded] = []
    for version in landed:
        row = by_version.get((version.key, version.etag))
        if row is None:
            age = (now - version.last_modified).total_seconds()
            unloaded.append(Unloaded(version.uri, version.etag, version.last_modified, age, age >= min_age_seconds))
            continue
        statuses[row.status] = statuses.get(row.status, 0) + 1
        if row.status == "loaded":
            rows += row.rows or 0
            if row.lag_seconds is not None:
                lags.append(row.lag_seconds)
    return DateStatus(
        partition=partition,
        landed=len(landed),
        loaded=statuses["loaded"],
        quarantined=statuses["quarantined"],
        dead_lettered=statuses["dead_letter"],
        not_loaded=tuple(sorted(unloaded, key=lambda u: u.uri)),
        rows=rows,
        lag=Lag.of(lags),
    )


def load_status(
    s3: Any,
    warehouse: Warehouse,
    source: LandingSource,
    dataset: Dataset,
    now: datetime,
    *,
    since: date,
    min_age_seconds: int,
) -> DatasetStatus:
    """Every landing date from `since` to today that holds files, against the warehouse's load history."""
    tree = scan_landing_tree(s3, source.bucket, source.root)
    today = now.date()
    partitions = sorted(p for p in tree.partitions() if source.in_range(p, today) and p >= since.isoformat())
    files = files_of(s3, source.bucket, tree, partitions)
    history: dict[str, list[HistoryRow]] = {}
    for row in warehouse.load_history(dataset, partitions):
        history.setdefault(row.partition, []).append(row)
    status = DatasetStatus(dataset.name, min_age_seconds)
    for partition in partitions:
        landed = files.get(partition, [])
        if landed:
            status.dates.append(
                date_status(partition, landed, history.get(partition, []), now, min_age_seconds=min_age_seconds)
            )
    return status


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}min"
    return f"{seconds / 3600:.1f}h"
