"""One reconcile tick, without Dagster: every file version that landed in the last `depth_days` dates and has
no ledger row gets its partition requested again — whichever sensor saw it, and whatever happened to its run."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from order_pipeline.aws.s3_landing import files_of, scan_landing_tree
from order_pipeline.landing.cursor import ReconcileCursor
from order_pipeline.landing.keys import FileVersion
from order_pipeline.landing.reconcile import ReconcilePlan, plan_reconcile
from order_pipeline.steps.load_status import DateStatus, date_status
from order_pipeline.steps.sensors.landing_tick import LandingSource, LedgerReader
from order_pipeline.warehouse.base import HistoryRow


@dataclass(frozen=True)
class ReconcileResult:
    plan: ReconcilePlan
    looked_at: str
    files: dict[str, list[FileVersion]] = field(default_factory=dict)  # what landed, by date compared
    now: datetime | None = None

    def statuses(self, history: Sequence[HistoryRow], *, min_age_seconds: int) -> list[DateStatus]:
        """Each compared date's status (steps/load_status.py) from its ledger history: the reconcile's metrics."""
        assert self.now is not None
        by_date: dict[str, list[HistoryRow]] = {}
        for row in history:
            by_date.setdefault(row.partition, []).append(row)
        return [
            date_status(p, landed, by_date.get(p, []), self.now, min_age_seconds=min_age_seconds)
            for p, landed in sorted(self.files.items())
            if landed
        ]


def reconcile_tick(
    s3: Any,
    ledger: LedgerReader,
    source: LandingSource,
    cursor: ReconcileCursor,
    now: datetime,
    *,
    depth_days: int,
    min_age_seconds: int,
    in_progress: Collection[str] = frozenset(),
) -> ReconcileResult:
    """Raises WarehouseBusy when the ledger cannot be read now (the cursor then stays as it was). Dates in
    `in_progress` have a run queued or running: left to it, neither requested nor counted as missed."""
    today = now.date()
    low = max(source.first_day, today - timedelta(days=depth_days))
    tree = scan_landing_tree(s3, source.bucket, source.root)
    partitions = sorted(p for p in tree.partitions() if low.isoformat() <= p <= today.isoformat())
    files = files_of(s3, source.bucket, tree, partitions)
    held = ledger(partitions) if partitions else {}
    plan = plan_reconcile(cursor, files, held, now, min_age=timedelta(seconds=min_age_seconds), in_progress=in_progress)
    landed = sum(len(v) for v in files.values())
    return ReconcileResult(
        plan,
        f"compared {landed} files of {len(partitions)} landing dates ({low}..{today}) in "
        f"{source.uri} with the ledger: {plan.missing_files} unloaded in "
        f"{len(plan.requests)} dates"
        + (f" ({len(plan.left_to_runs)} more dates being loaded by a run in progress)" if plan.left_to_runs else ""),
        files,
        now,
    )
