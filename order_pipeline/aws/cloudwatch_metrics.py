"""CloudWatch metrics of one dataset: what a load or a reconcile saw, as PutMetricData entries (issue 21, item 4).

Every entry has the dimensions Dataset=<name> and Source=load|reconcile: a load publishes its landing date (files
landed, loaded, quarantined, dead-lettered, unloaded, rows of the date, and the lag of the files this load loaded);
a reconcile publishes the sums over the dates it compared with the ledger, and as lag the age of the oldest file
still not loaded past the reconcile's minimum age (data not yet in the warehouse is at least that late). The two
sources stay separate metrics, so an alarm on one is not diluted by the other (aws/cloudwatch_alarms.py).

`load_metrics` / `reconcile_metrics` are pure; `publish_metrics` sends them in batches PutMetricData accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from order_pipeline.steps.load_status import DateStatus

BATCH = 1000  # PutMetricData accepts up to 1000 metric data entries per call
Source = Literal["load", "reconcile"]
COUNTS = (
    "FilesLanded",
    "FilesLoaded",
    "FilesQuarantined",
    "FilesDeadLettered",
    "FilesUnloaded",
    "RowsLoaded",
)
LAG = "LagSeconds"


def dimensions(dataset: str, source: Source) -> list[dict[str, str]]:
    return [{"Name": "Dataset", "Value": dataset}, {"Name": "Source", "Value": source}]


def metric_data(
    dataset: str, source: Source, statuses: Sequence[DateStatus], *, lag_seconds: float | None
) -> list[dict[str, Any]]:
    """The counts summed over `statuses` (FilesUnloaded: files not loaded past the reconcile's minimum age), and
    the lag when there is one."""
    totals = dict.fromkeys(COUNTS, 0)
    for status in statuses:
        totals["FilesLanded"] += status.landed
        totals["FilesLoaded"] += status.loaded
        totals["FilesQuarantined"] += status.quarantined
        totals["FilesDeadLettered"] += status.dead_lettered
        totals["FilesUnloaded"] += len(status.overdue)
        totals["RowsLoaded"] += status.rows
    where = dimensions(dataset, source)
    data = [{"MetricName": n, "Dimensions": where, "Value": float(v), "Unit": "Count"} for n, v in totals.items()]
    if lag_seconds is not None:
        data.append({"MetricName": LAG, "Dimensions": where, "Value": float(lag_seconds), "Unit": "Seconds"})
    return data


def load_metrics(dataset: str, status: DateStatus, run_lag_seconds: float | None) -> list[dict[str, Any]]:
    """After a load: its date's counts; the lag is the longest of the files this load loaded (none: no lag)."""
    return metric_data(dataset, "load", [status], lag_seconds=run_lag_seconds)


def reconcile_metrics(dataset: str, statuses: Sequence[DateStatus]) -> list[dict[str, Any]]:
    """After a reconcile: the sums over its dates; the lag is the age of the oldest overdue file (none: no lag)."""
    ages = [unloaded.age_seconds for status in statuses for unloaded in status.overdue]
    return metric_data(dataset, "reconcile", statuses, lag_seconds=max(ages) if ages else None)


def publish_metrics(cloudwatch: Any, namespace: str, data: Sequence[dict[str, Any]]) -> int:
    """PutMetricData of every entry; returns how many were sent."""
    for start in range(0, len(data), BATCH):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=list(data[start : start + BATCH]))
    return len(data)
