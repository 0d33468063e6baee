"""CloudWatch metrics of a date's status, published to the local endpoint (moto serves CloudWatch) and read back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3

from order_pipeline.aws.cloudwatch_metrics import publish_metrics
from order_pipeline.steps.load_status import DateStatus, Lag, Unloaded

NAMESPACE = "OrderPipelineTest"


def test_a_dates_metrics_appear_with_their_values(aws_endpoint):
    landed = datetime.now(timezone.utc) - timedelta(hours=2)
    unloaded = Unloaded("s3://b/landing/orders/2026/12/04/x.jsonl", "e", landed, 7200.0, overdue=True)
    status = DateStatus("2026-12-04", 5, 2, 1, 1, (unloaded,), rows=40, lag=Lag(30.0, 50.0, 61.5))
    cloudwatch = boto3.client("cloudwatch")

    sent = publish_metrics(cloudwatch, NAMESPACE, "orders", [status])

    assert sent == 7
    now = datetime.now(timezone.utc)
    found = {}
    for name in ("FilesLanded", "FilesLoaded", "FilesQuarantined", "FilesDeadLettered", "FilesUnloaded", "RowsLoaded"):
        found[name] = _maximum(cloudwatch, name, now)
    found["LagSeconds"] = _maximum(cloudwatch, "LagSeconds", now)
    assert found == {
        "FilesLanded": 5.0,
        "FilesLoaded": 2.0,
        "FilesQuarantined": 1.0,
        "FilesDeadLettered": 1.0,
        "FilesUnloaded": 1.0,
        "RowsLoaded": 40.0,
        "LagSeconds": 61.5,
    }


def _maximum(cloudwatch, name: str, now: datetime) -> float:
    response = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": "Dataset", "Value": "orders"}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=10),
        Period=60,
        Statistics=["Maximum"],
    )
    return max(point["Maximum"] for point in response["Datapoints"])
