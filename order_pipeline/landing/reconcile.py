"""The reconcile: what landed compared with the ledger — not with any sensor's cursor. Pure.

Whatever the reason a file version is not in the ledger (it landed outside the polling window, an event was
lost, its run was killed or failed for good), the reconcile requests a run for its partition. A file that keeps
failing does not loop forever: the lake and warehouse steps give it a final ledger row (quarantined or
dead-lettered) after a bounded number of attempts; a partition still missing files after `report_after` ticks is
reported once so an operator hears of it. A date with a run of its job queued or running is left to that run:
it is neither requested again nor counted as missed, so a load that spans several reconciles raises no alarm.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from order_pipeline.landing.cursor import ReconcileCursor
from order_pipeline.landing.keys import FileVersion, version_digest
from order_pipeline.landing.plan import PartitionRequest, not_in_ledger


@dataclass(frozen=True)
class ReconcilePlan:
    requests: list[PartitionRequest]
    cursor: ReconcileCursor
    newly_persistent: dict[str, list[FileVersion]] = field(default_factory=dict)  # to report, once
    left_to_runs: list[str] = field(default_factory=list)  # dates with unloaded files and a run in progress

    @property
    def missing_files(self) -> int:
        return sum(len(r.versions) for r in self.requests)


def plan_reconcile(
    cursor: ReconcileCursor,
    landed: Mapping[str, Sequence[FileVersion]],
    ledger: Mapping[str, set[tuple[str, str]]],
    now: datetime,
    *,
    min_age: timedelta,
    report_after: int = 3,
    in_progress: Collection[str] = frozenset(),
) -> ReconcilePlan:
    """Files older than `min_age` (younger ones are still the landing sensor's to load) with no ledger row.
    Dates in `in_progress` have a run queued or running: their count of missed reconciles stays where it was."""
    requests: list[PartitionRequest] = []
    missing: dict[str, tuple[str, int]] = {}
    persistent: dict[str, list[FileVersion]] = {}
    left: list[str] = []
    for partition, versions in sorted(landed.items()):
        unloaded = [
            v for v in not_in_ledger(versions, ledger.get(partition, set())) if v.last_modified <= now - min_age
        ]
        if not unloaded:
            continue
        previous = cursor.missing.get(partition)
        if partition in in_progress:  # that run loads what the ledger lacks: not a missed reconcile
            if previous:
                missing[partition] = previous
            left.append(partition)
            continue
        digest = version_digest(unloaded)
        attempt = previous[1] + 1 if previous and previous[0] == digest else 1
        missing[partition] = (digest, attempt)
        requests.append(PartitionRequest(partition, tuple(unloaded), "reconcile", attempt=attempt))
        if attempt == report_after:
            persistent[partition] = unloaded
    return ReconcilePlan(
        requests=requests, cursor=ReconcileCursor(missing=missing), newly_persistent=persistent, left_to_runs=left
    )
