"""CloudWatch metrics of one dataset's landing dates (issue 21, item 4; not yet wired into the load or reconcile).

`metric_data` is pure: a date's status (steps/load_status.py) as PutMetricData entries with the dimension
Dataset=<name>; `publish_metrics` sends them, in batches PutMetricData accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from order_pipeline.steps.load_status import DateStatus

BATCH = 1000  # PutMetricData accepts up to 1000 metric data entries per call


def metric_data(dataset: str, status: DateStatus) -> list[dict[str, Any]]:
    """Files landed, loaded, quarantined, dead-lettered, unloaded, rows, and the lag's max (when any file loaded)."""
    dimensions = [{"Name": "Dataset", "Value": dataset}]
    counts = {
        "FilesLanded": status.landed,
        "FilesLoaded": status.loaded,
        "FilesQuarantined": status.quarantined,
        "FilesDeadLettered": status.dead_lettered,
        "FilesUnloaded": len(status.overdue),
        "RowsLoaded": status.rows,
    }
    data = [{"MetricName": n, "Dimensions": dimensions, "Value": float(v), "Unit": "Count"} for n, v in counts.items()]
    if status.lag.max is not None:
        data.append({"MetricName": "LagSeconds", "Dimensions": dimensions, "Value": status.lag.max, "Unit": "Seconds"})
    return data


def publish_metrics(cloudwatch: Any, namespace: str, dataset: str, statuses: Sequence[DateStatus]) -> int:
    """PutMetricData of every date's metrics; returns how many entries were sent."""
    data = [entry for status in statuses for entry in metric_data(dataset, status)]
    for start in range(0, len(data), BATCH):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + BATCH])
    return len(data)
