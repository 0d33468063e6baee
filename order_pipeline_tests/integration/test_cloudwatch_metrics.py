"""CloudWatch metrics of what a load and a reconcile saw, published to the local endpoint (moto serves CloudWatch)
and read back; a publish that CloudWatch refuses is reported, never raised."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import boto3

from order_pipeline.aws.cloudwatch_metrics import load_metrics, publish_metrics, reconcile_metrics
from order_pipeline.commands.moto_server import free_port
from order_pipeline.components.resources import CloudWatchMetricsResource
from order_pipeline.steps.load_status import DateStatus, Lag, Unloaded
from order_pipeline_tests.support.cloudwatch import read_metrics

LANDED = datetime.now(timezone.utc) - timedelta(hours=2)


def unloaded(name: str, age: float, *, overdue: bool) -> Unloaded:
    return Unloaded(f"s3://b/landing/orders/2026/12/04/{name}", "e", LANDED, age, overdue=overdue)


def test_a_loads_metrics_appear_with_their_values(aws_endpoint):
    namespace = f"OrderPipelineTest/{uuid.uuid4().hex[:8]}"
    late = unloaded("x.jsonl", 7200.0, overdue=True)
    young = unloaded("y.jsonl", 10.0, overdue=False)  # still the landing sensor's: not counted as unloaded
    status = DateStatus("2026-12-04", 6, 2, 1, 1, (late, young), rows=40, lag=Lag(30.0, 50.0, 99.0))
    cloudwatch = boto3.client("cloudwatch")

    sent = publish_metrics(cloudwatch, namespace, load_metrics("orders", status, run_lag_seconds=61.5))

    assert sent == 7
    assert read_metrics(cloudwatch, namespace, "orders", "load") == {
        "FilesLanded": 6.0,
        "FilesLoaded": 2.0,
        "FilesQuarantined": 1.0,
        "FilesDeadLettered": 1.0,
        "FilesUnloaded": 1.0,
        "RowsLoaded": 40.0,
        "LagSeconds": 61.5,  # of the files this load loaded, not the date's worst
    }
    assert read_metrics(cloudwatch, namespace, "orders", "reconcile") == {}


def test_a_reconciles_metrics_sum_its_dates_and_its_lag_is_the_oldest_unloaded_file(aws_endpoint):
    namespace = f"OrderPipelineTest/{uuid.uuid4().hex[:8]}"
    first = DateStatus("2026-12-03", 3, 3, 0, 0, (), rows=30, lag=Lag(1.0, 1.0, 1.0))
    second = DateStatus(
        "2026-12-04", 4, 1, 1, 0, (unloaded("a", 5000.0, overdue=True), unloaded("b", 3600.0, overdue=True)), 12, Lag()
    )
    cloudwatch = boto3.client("cloudwatch")

    publish_metrics(cloudwatch, namespace, reconcile_metrics("orders", [first, second]))

    assert read_metrics(cloudwatch, namespace, "orders", "reconcile") == {
        "FilesLanded": 7.0,
        "FilesLoaded": 4.0,
        "FilesQuarantined": 1.0,
        "FilesDeadLettered": 0.0,
        "FilesUnloaded": 2.0,
        "RowsLoaded": 42.0,
        "LagSeconds": 5000.0,
    }


def test_a_failed_publish_is_reported_not_raised(aws_endpoint):
    status = DateStatus("2026-12-04", 1, 1, 0, 0, (), rows=3, lag=Lag(1.0, 1.0, 1.0))
    nobody = f"http://127.0.0.1:{free_port()}"  # CloudWatch unreachable
    resource = CloudWatchMetricsResource(
        namespace="OrderPipelineTest", endpoint_url=nobody, region_name="us-east-1", max_attempts=1
    )

    published = resource.publish(load_metrics("orders", status, 1.0))

    assert published.failed and published.sent == 0
    assert published.text.startswith("NOT published to OrderPipelineTest: EndpointConnectionError")
    assert not CloudWatchMetricsResource(region_name="us-east-1").publish([]).failed  # off: nothing to report
