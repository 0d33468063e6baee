"""Every file that lands is loaded exactly once, whatever its date and whatever happens to sensors and runs —
in both sensor modes, through the real sensors, queue and runs on the local endpoint.

(Issue: the demo once loaded 7 of 13 landed files and reported success; history outside the polling window,
late files and files of killed runs were never loaded, and nobody was told.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from order_pipeline.commands.moto_server import free_port
from order_pipeline_tests.support.faults import run_killed
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import land_day

TODAY = datetime.now(timezone.utc).date()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["events", "listing"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path, mode):
    env = {
        "ORDER_PIPELINE_SENSOR_MODE": mode,
        "ORDER_PIPELINE_BACKLOG_DATES_PER_TICK": "4",
        "ORDER_PIPELINE_LOOKBACK_DAYS": "3",
    }
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as running:
        yield running


def queue_url(pipeline) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=pipeline.settings.queue_name("orders"))["QueueUrl"]


def in_queue(pipeline) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(pipeline),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def ledger(pipeline) -> dict[str, int]:
    return dict(pipeline.query('SELECT key, COUNT(*) FROM "file_ledger" GROUP BY key'))


def orders(pipeline) -> tuple[int, int]:
    return pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0]


def s3_event(bucket: str, key: str, etag: str, name: str = "ObjectCreated:Put") -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "eventName": name,
                    "eventTime": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
                    "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag, "size": 10}},
                }
            ]
        }
    )


def test_twelve_past_landing_dates_before_the_first_tick_all_load_exactly_once(pipeline, mode):
    keys = []
    for back in range(17, 5, -1):  # 12 landing dates, all older than the listing window
        keys.extend(land_day(pipeline, TODAY - timedelta(days=back), f"H{back}-"))
    if mode == "events":
        boto3.client("sqs").purge_queue(QueueUrl=queue_url(pipeline))  # history landed before the queue existed

    ticks = pipeline.drain()
    assert not [run for tick in ticks for run in tick.failed_runs]
    assert ledger(pipeline) == {key: 1 for key in keys}
    assert orders(pipeline) == (36, 36)
    # 4 dates compared with the ledger per tick: the backlog drains over several ticks, one run per date
    assert len(ticks) >= 3 and sum(len(tick.runs) for tick in ticks) == 12
    # a reconcile over the same files finds nothing to do
    assert pipeline.reconcile().runs == []


def test_a_late_file_twenty_days_back_is_loaded(pipeline, mode):
    land_day(pipeline, TODAY - timedelta(days=1), "NOW")
    pipeline.drain()
    (late_key,) = land_day(pipeline, TODAY - timedelta(days=20), "LATE")
    outcome = pipeline.tick()
    if mode == "events":  # the event names the file: loaded within one tick
        assert outcome.partitions == [(TODAY - timedelta(days=20)).isoformat()]
    else:  # far outside the listing window: the reconcile compares what landed with the ledger
        assert outcome.runs == [] and late_key not in ledger(pipeline)
        reconciled = pipeline.reconcile()
        assert reconciled.partitions == [(TODAY - timedelta(days=20)).isoformat()]
        assert reconciled.requests[0].tags["order_pipeline/trigger"] == "reconcile"
    assert ledger(pipeline)[late_key] == 1 and orders(pipeline) == (6, 6)
    assert pipeline.reconcile().runs == [] and pipeline.tick().runs == []


def test_a_run_killed_after_the_sensor_saw_its_files_is_completed_by_the_reconcile(pipeline, tmp_path):
    day = TODAY - timedelta(days=1)
    keys = land_day(pipeline, day, "KILL", (15, 6))
    seen = pipeline.tick(execute=False)  # the sensor requests the run and commits its cursor...
    assert [r.partition_key for r in seen.requests] == [day.isoformat()]
    marker = tmp_path / "kill-once"
    marker.touch()
    killed = run_killed("kill_after_stage_definitions", str(marker), day.isoformat(), timeout=180)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr  # ...and its run dies mid-load
    assert ledger(pipeline) == {} and orders(pipeline) == (0, 0)

    assert pipeline.tick().runs == []  # the landing sensor has seen these files: it will not ask again
    reconciled = pipeline.reconcile()  # the reconcile compares with the ledger, not with the cursor
    assert reconciled.partitions == [day.isoformat()] and not reconciled.failed_runs
    assert ledger(pipeline) == {key: 1 for key in keys} and orders(pipeline) == (21, 21)
    assert pipeline.reconcile().runs == []


KILLED_TICK = textwrap.dedent("""
    import os, signal, sys
    import dagster as dg
    from order_pipeline.commands.headless import run_sensor_tick
    from order_pipeline.components.pipeline import build_definitions
    from order_pipeline.components.resources import SQSResource, build_resources
    from order_pipeline.config import load_settings
    from order_pipeline.datasets.orders import ORDERS


    class KilledAfterReceive:
        def __init__(self, client):
            self._client = client

        def __getattr__(self, name):
            return getattr(self._client, name)

        def receive_message(self, **kwargs):
            response = self._client.receive_message(**kwargs)
            if response.get("Messages"):
                os.kill(os.getpid(), signal.SIGKILL)  # received, cursor not committed
            return response


    class KilledSQSResource(SQSResource):
        def get_client(self):
            return KilledAfterReceive(super().get_client())


    settings = load_settings()
    resources = build_resources(settings)
    resources["queue"] = KilledSQSResource(region_name=settings.region)
    with dg.instance_for_test() as instance:
        run_sensor_tick(build_definitions(settings, resources=resources), instance, ORDERS.landing_sensor_name,
                        sys.argv[1] or None)
    print("the tick finished: it should have been killed")
""")


@pytest.mark.parametrize("mode", ["events"], indirect=True)
def test_events_mode_survives_a_killed_sensor_duplicates_and_foreign_events(pipeline):
    land_day(pipeline, TODAY - timedelta(days=2), "BASE")
    pipeline.drain()
    keys = land_day(pipeline, TODAY - timedelta(days=1), "NEW", (4, 5))

    # the sensor process dies between receiving the messages and committing its cursor
    env = dict(os.environ, ORDER_PIPELINE_QUEUE_VISIBILITY_SECONDS="2")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_TICK, pipeline.cursor or ""],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    time.sleep(3)  # unacknowledged, the messages come back after their visibility timeout
    outcome = pipeline.tick()
    assert outcome.partitions == [(TODAY - timedelta(days=1)).isoformat()]
    assert all(ledger(pipeline)[key] == 1 for key in keys) and orders(pipeline) == (12, 12)

    # at-least-once delivery: the same event again loads nothing twice
    sqs = boto3.client("sqs")
    etag = pipeline.s3.head_object(Bucket=pipeline.settings.bucket, Key=keys[0])["ETag"].strip('"')
    sqs.send_message(QueueUrl=queue_url(pipeline), MessageBody=s3_event(pipeline.settings.bucket, keys[0], etag))
    pipeline.drain()
    assert all(ledger(pipeline)[key] == 1 for key in keys) and orders(pipeline) == (12, 12)

    # a TestEvent, a removal, and keys outside the dataset are understood, acknowledged and ignored
    for body in (
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": pipeline.settings.bucket}),
        s3_event(pipeline.settings.bucket, keys[1], etag, "ObjectRemoved:Delete"),
        s3_event("someone-elses-bucket", keys[1], etag),
        s3_event(pipeline.settings.bucket, "landing/customers/2026/11/20/c.jsonl", etag),
    ):
        sqs.send_message(QueueUrl=queue_url(pipeline), MessageBody=body)
    ignored = pipeline.tick()
    assert ignored.runs == [] and "4 events ignored" in ignored.skip_reason, ignored.skip_reason
    assert pipeline.tick().runs == [] and in_queue(pipeline) == 0  # acknowledged on the next tick


@pytest.mark.parametrize("mode", ["events"], indirect=True)
def test_an_unreachable_queue_fails_the_tick_visibly_and_loses_nothing(pipeline, monkeypatch):
    land_day(pipeline, TODAY - timedelta(days=2), "BASE")
    pipeline.drain()
    cursor = pipeline.cursor
    keys = land_day(pipeline, TODAY - timedelta(days=1), "WAIT", (3, 4))
    with monkeypatch.context() as patched:
        patched.setenv("AWS_ENDPOINT_URL_SQS", f"http://127.0.0.1:{free_port()}")  # nothing listens there
        with pytest.raises(Exception, match="(?i)connect"):
            pipeline.tick()
    assert pipeline.cursor == cursor and not set(keys) & set(ledger(pipeline))
    recovered = pipeline.tick()
    assert recovered.partitions == [(TODAY - timedelta(days=1)).isoformat()]
    assert all(ledger(pipeline)[key] == 1 for key in keys) and orders(pipeline) == (10, 10)
