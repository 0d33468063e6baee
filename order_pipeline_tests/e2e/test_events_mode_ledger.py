"""Events mode on the local endpoint (real S3 notifications to SQS, the real sensor and runs), issue 25:
- item 3: an identical re-upload (same key, same bytes, same ETag) sends an S3 event; the sensor skips the file
  version the ledger holds and says so in the tick's message, instead of requesting a run that loads nothing;
- item 9: the cursor names the acknowledgement journal the next tick deletes, and anyone can edit a cursor in
  the UI: an object outside the sensor's own journal prefix is never deleted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import land_day

TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path):
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env={"ORDER_PIPELINE_SENSOR_MODE": "events"}) as running:
        yield running


def waiting(pipeline) -> int:
    queue = boto3.client("sqs").get_queue_url(QueueName=pipeline.settings.queue_name("orders"))["QueueUrl"]
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_an_identical_re_upload_requests_no_run_and_the_tick_says_it_skipped_it(pipeline):
    (key,) = land_day(pipeline, TODAY - timedelta(days=1), "SAME", (3,))
    pipeline.drain()
    assert pipeline.query('SELECT key, status FROM "file_ledger"') == [(key, "loaded")]
    runs_before = len(pipeline.instance.get_runs())

    body = pipeline.s3.get_object(Bucket=pipeline.settings.bucket, Key=key)["Body"].read()
    etag = pipeline.s3.head_object(Bucket=pipeline.settings.bucket, Key=key)["ETag"].strip('"')
    pipeline.land(key, body)  # the same bytes at the same key: S3 sends an ObjectCreated event, same ETag
    assert pipeline.s3.head_object(Bucket=pipeline.settings.bucket, Key=key)["ETag"].strip('"') == etag
    outcome = pipeline.tick()
    assert outcome.runs == [] and len(pipeline.instance.get_runs()) == runs_before
    assert "skipped 1 file versions the ledger already holds" in outcome.skip_reason, outcome.skip_reason
    assert key in outcome.skip_reason and etag in outcome.skip_reason

    # new bytes at the same key are a new version: requested and loaded
    pipeline.land(key, body.replace(b"SAME", b"DIFF"))
    changed = pipeline.tick()
    assert len(changed.runs) == 1 and not changed.failed_runs
    assert pipeline.tick().runs == [] and waiting(pipeline) == 0


def test_an_edited_cursor_naming_a_foreign_object_does_not_get_it_deleted(pipeline):
    bucket = pipeline.settings.bucket
    land_day(pipeline, TODAY - timedelta(days=1), "ACK", (2,))
    pipeline.tick()  # receives the event, keeps its receipt handle in a journal, names it in the cursor
    committed = pipeline.cursor
    journal = json.loads(committed)["pending_acks"]
    own_prefix = pipeline.settings.layout.sensor_state_prefix(pipeline.settings.queue_name("orders"))
    assert journal.startswith(own_prefix)

    for foreign in ("reports/precious.json", f"{own_prefix}../precious.json", f"{own_prefix}sub/a.json"):
        pipeline.s3.put_object(Bucket=bucket, Key=foreign, Body=b'["not a handle"]')
        pipeline.cursor = json.dumps(dict(json.loads(committed), pending_acks=foreign))
        assert pipeline.tick().runs == []
        assert pipeline.s3.get_object(Bucket=bucket, Key=foreign)["Body"].read() == b'["not a handle"]', foreign

    # the sensor's own journal is acknowledged and deleted as before
    pipeline.cursor = committed
    pipeline.tick()
    assert waiting(pipeline) == 0
    with pytest.raises(pipeline.s3.exceptions.NoSuchKey):
        pipeline.s3.get_object(Bucket=bucket, Key=journal)
