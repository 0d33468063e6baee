"""Reading the pipeline's CloudWatch metrics back from the local endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from order_pipeline.aws.cloudwatch_metrics import COUNTS, LAG, dimensions


def read_metrics(cloudwatch: Any, namespace: str, dataset: str, source: str) -> dict[str, float]:
    """Each metric's latest value of the last ten minutes (names without a datapoint are left out).

    GetMetricStatistics, not GetMetricData: moto's GetMetricData drops the namespace filter when dimensions are
    given, so tests publishing the same dataset to other namespaces would leak into each other's figures."""
    now = datetime.now(timezone.utc)
    found: dict[str, float] = {}
    for name in (*COUNTS, LAG):
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=name,
            Dimensions=dimensions(dataset, source),
            StartTime=now - timedelta(minutes=10),
            EndTime=now + timedelta(minutes=10),
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
        if points:
            found[name] = max(points, key=lambda p: p["Timestamp"])["Maximum"]
    return found
