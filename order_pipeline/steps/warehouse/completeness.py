"""After a load: is every file landed for the date in the ledger, and how late were the files this run loaded?

Dagster-free. A landed file version without a ledger row is *missing* once older than the reconcile's minimum age
(younger ones are still the landing sensor's to load, e.g. a file that landed after the lake step ran). The lag of a
loaded file is loaded_at - landed_at (the load_history view); it *exceeds* the ingestion-lag setting
(ORDER_PIPELINE_MAX_LAG_MINUTES) when longer. Each date's lag breach is announced once: a small marker object
beside the date's conversion records is written, by a conditional write, by the first run that reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.load_status import DateStatus, Lag, Unloaded, date_status
from order_pipeline.warehouse.base import HistoryRow, Warehouse


@dataclass(frozen=True)
class Completeness:
    date: DateStatus  # every file landed for the date against the ledger
    run_lag: Lag  # over the files this run loaded
    run_files: int  # files this run loaded
    late: tuple[HistoryRow, ...]  # files this run loaded later than max_lag_seconds after they landed
    max_lag_seconds: int

    @property
    def missing(self) -> list[Unloaded]:
        return self.date.overdue

    @property
    def passed(self) -> bool:
        return not self.missing and not self.late

    @property
    def failure(self) -> str | None:
        reasons = []
        if self.missing:
            names = ", ".join(u.uri for u in self.missing[:10]) + (" …" if len(self.missing) > 10 else "")
            reasons.append(f"{len(self.missing)} landed file(s) not in the ledger: {names}")
        if self.late:
            worst = max(row.lag_seconds or 0.0 for row in self.late)
            reasons.append(
                f"{len(self.late)} file(s) loaded later than {self.max_lag_seconds // 60} minutes after landing "
                f"(worst {worst / 60:.1f} minutes)"
            )
        return "; ".join(reasons) or None


def check_completeness(
    s3: Any,
    warehouse: Warehouse,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    run_id: str,
    *,
    min_age_seconds: int,
    max_lag_seconds: int,
    now: datetime | None = None,
) -> Completeness:
    """The date's files as they are now in the bucket, against its ledger rows."""
    now = now or datetime.now(timezone.utc)
    landed = list_landing_day(s3, layout.bucket, layout.landing_root(dataset.name), date.fromisoformat(partition))
    history = warehouse.load_history(dataset, [partition])
    status = date_status(partition, landed, history, now, min_age_seconds=min_age_seconds)
    mine = [row for row in history if row.run_id == run_id and row.status == "loaded"]
    lags = [row.lag_seconds for row in mine if row.lag_seconds is not None]
    late = tuple(row for row in mine if row.lag_seconds is not None and row.lag_seconds > max_lag_seconds)
    return Completeness(status, Lag.of(lags), len(mine), late, max_lag_seconds)


def lag_notice_key(layout: LakeLayout, dataset: str, partition: str) -> str:
    return layout.conversions_folder(dataset, partition) + "_lag_exceeded.json"


CLAIM_ATTEMPTS = 5


def claim_lag_notice(s3: Any, layout: LakeLayout, dataset: str, partition: str, body: bytes) -> bool:
    """True for the first caller of a date (who then announces the breach), False once it was claimed. One S3
    conditional write (If-None-Match: *), so of two runs claiming at once exactly one wins (as the schema state's
    writes). A 409 (another conditional write of the key in flight) is tried again: it ends in 412 or a win."""
    key = lag_notice_key(layout, dataset, partition)
    for _ in range(CLAIM_ATTEMPTS):
        try:
            s3.put_object(Bucket=layout.bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*")
            return True
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412"):
                return False
            if code not in ("ConditionalRequestConflict", "409"):
                raise
    return False  # still contended: another run is claiming it
