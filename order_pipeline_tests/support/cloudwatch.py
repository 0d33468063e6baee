"""Reading the pipeline's CloudWatch metrics back from the local endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from order_pipeline.aws.cloudwatch_metrics import COUNTS, LAG, dimensions


def read_metrics(cloudwatch: Any, namespace: str, dataset: str, source: str) -> dict[str, float]:
    """Each metric's latest value of the last ten minutes (names without a datapoint are left out)."""
    now = datetime.now(timezone.utc)
    found: dict[str, float] = {}
    for name in (*COUNTS, LAG):
        response = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": namespace,
                            "MetricName": name,
                            "Dimensions": dimensions(dataset, source),
                        },  # type: ignore[arg-type]
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                }
            ],
            StartTime=now - timedelta(minutes=10),
            EndTime=now + timedelta(minutes=10),
            ScanBy="TimestampDescending",
        )
        values = response["MetricDataResults"][0]["Values"]
        if values:
            found[name] = values[0]
    return found
