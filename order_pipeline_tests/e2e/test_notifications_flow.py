"""A failed sensor-driven run is announced by the real `notify_run_failures` sensor as a `run_failed` message,
read back from the queue subscribed to the topic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import dagster as dg
import orjson
import pytest

from order_pipeline.components.run_failure_alert import RunFailureNotPublished
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import failure_sensor_context

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)


def fail_a_run(pipeline) -> dg.ExecuteInProcessResult:
    """Land a good file and tick: the warehouse cannot be opened, so the run fails after its retries."""
    orders = generate_orders(5, seed=3, start_date=DAY, id_prefix="FAIL")
    pipeline.land(
        f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/orders.jsonl",
        b"".join(orjson.dumps(o) + b"\n" for o in orders),
    )
    outcome = pipeline.tick()
    (run,) = outcome.runs
    assert not run.success
    return run


@pytest.fixture
def broken_pipeline(aws_endpoint, bucket, tmp_path):
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("a regular file where the warehouse's folder should be\n")
    unreachable = not_a_folder / "nested" / "warehouse.duckdb"  # its folder cannot be created
    with local_pipeline(
        aws_endpoint,
        bucket,
        tmp_path,
        extra_env={
            "ORDER_PIPELINE_DUCKDB_PATH": str(unreachable),
            "ORDER_PIPELINE_UI_BASE_URL": "https://dagster.example.com",
        },
    ) as running:
        yield running


def test_failed_run_publishes_run_failed_naming_asset_and_partition(broken_pipeline):
    pipeline = broken_pipeline
    run = fail_a_run(pipeline)
    assert run.get_failed_step_keys() == {"warehouse_orders"}
    before = pipeline.notifications()
    assert [m for m in before if m["event_type"] == "run_failed"] == []  # only the failure sensor announces it

    defs = pipeline.defs()
    sensor = defs.resolve_sensor_def("notify_run_failures")
    assert isinstance(sensor, dg.RunStatusSensorDefinition)
    sensor(failure_sensor_context(pipeline, defs, run.run_id))

    (message,) = pipeline.notifications()
    assert message["event_type"] == "run_failed"
    assert message["subject"].startswith("Run failed:") and DAY.isoformat() in message["subject"]
    assert message["partition"] == DAY.isoformat()
    assert message["dataset"] == "orders"
    assert "warehouse/orders" in message["asset"].split(", ")
    assert "warehouse/orders" in message["assets"]
    assert message["failed_steps"] == ["warehouse_orders"]
    assert message["run_id"] == run.run_id and message["job"] == "orders_load_job"
    assert message["run_url"] == f"https://dagster.example.com/runs/{run.run_id}"
    assert "Exceeded max_retries" in message["error"] and "not-a-folder" in message["error"], message["error"]
    attributes = message["_attributes"]
    assert attributes["event_type"] == {"Type": "String", "Value": "run_failed"}
    assert attributes["dataset"] == {"Type": "String", "Value": "orders"}


def test_a_run_failure_that_cannot_be_published_fails_the_sensor_tick(broken_pipeline):
    """Dagster evaluates a run status sensor once per run: a run_failed that SNS refuses is never sent again, so
    the tick fails (red in the sensor's history, the run named) instead of reporting that it acted on the run."""
    pipeline = broken_pipeline
    run = fail_a_run(pipeline)
    boto3.client("sns").delete_topic(TopicArn=pipeline.settings.sns_topic_arn)
    defs = pipeline.defs()
    sensor = defs.resolve_sensor_def("notify_run_failures")

    with pytest.raises(RunFailureNotPublished, match=run.run_id) as raised:
        sensor(failure_sensor_context(pipeline, defs, run.run_id))
    assert pipeline.settings.sns_topic_arn in str(raised.value)
