"""Opt-in: the end-to-end orders scenario against a real bucket and a real Redshift cluster or workgroup.

One command (see docs/redshift-live-test.md for the variables and the IAM set-up):

    ORDER_PIPELINE_LIVE_BUCKET=my-bucket ORDER_PIPELINE_LIVE_REDSHIFT_HOST=my-wg.123.eu-west-1.redshift-serverless\
.amazonaws.com ORDER_PIPELINE_REDSHIFT_USER=... ORDER_PIPELINE_REDSHIFT_PASSWORD=... \\
    ORDER_PIPELINE_REDSHIFT_COPY_IAM_ROLE=arn:aws:iam::123456789012:role/copy \\
    .venv/bin/pytest -s -q -p no:cacheprovider -m live order_pipeline_tests/e2e/test_live_redshift.py

Skipped unless ORDER_PIPELINE_LIVE_BUCKET and a Redshift target (ORDER_PIPELINE_LIVE_REDSHIFT_HOST, or IAM with
ORDER_PIPELINE_REDSHIFT_WORKGROUP / _CLUSTER_IDENTIFIER) are set. Everything it writes goes under a unique S3
prefix and into a schema of its own; both are removed afterwards. It prints what the run cost: files and bytes
landed, Parquet parts, COPY commands (one per manifest) and the bytes they read.
"""

from __future__ import annotations

import os
import time
import uuid

import boto3
import dagster as dg
import pytest

from order_pipeline.config import load_settings
from order_pipeline_tests.support.live_redshift import cost_facts
from order_pipeline_tests.support.pipeline_harness import LocalPipeline
from order_pipeline_tests.support.scenarios import OPTIONS, assert_matches, decode, land_generated

_TARGET = (
    "ORDER_PIPELINE_LIVE_REDSHIFT_HOST",
    "ORDER_PIPELINE_REDSHIFT_WORKGROUP",
    "ORDER_PIPELINE_REDSHIFT_CLUSTER_IDENTIFIER",
)
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (os.environ.get("ORDER_PIPELINE_LIVE_BUCKET") and any(os.environ.get(name) for name in _TARGET)),
        reason="set ORDER_PIPELINE_LIVE_BUCKET and ORDER_PIPELINE_LIVE_REDSHIFT_HOST (or a workgroup/"
        "cluster with ORDER_PIPELINE_REDSHIFT_IAM=true) to run against real AWS",
    ),
]


@pytest.fixture
def live_pipeline(monkeypatch, tmp_path):
    run = f"live-test-{uuid.uuid4().hex[:10]}"
    schema = run.replace("-", "_")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    env = {
        "ORDER_PIPELINE_BUCKET": os.environ["ORDER_PIPELINE_LIVE_BUCKET"],
        "ORDER_PIPELINE_WAREHOUSE": "redshift",
        "ORDER_PIPELINE_LANDING_PREFIX": f"{run}/landing",
        "ORDER_PIPELINE_LAKE_PREFIX": f"{run}/lake",
        "ORDER_PIPELINE_QUARANTINE_PREFIX": f"{run}/quarantine",
        "ORDER_PIPELINE_REDSHIFT_SCHEMA": schema,  # created by the resource on connect, dropped below
        "ORDER_PIPELINE_STATE_DIR": str(tmp_path),
    }
    if os.environ.get("ORDER_PIPELINE_LIVE_REDSHIFT_HOST"):
        env["ORDER_PIPELINE_REDSHIFT_HOST"] = os.environ["ORDER_PIPELINE_LIVE_REDSHIFT_HOST"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(settings=load_settings(), instance=instance, queue_url="")
        try:
            yield pipeline
        finally:
            bucket = boto3.resource("s3").Bucket(pipeline.settings.bucket)
            bucket.objects.filter(Prefix=f"{run}/").delete()
            pipeline.query(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_orders_flow_against_real_redshift(live_pipeline):
    started = time.monotonic()
    files = land_generated(live_pipeline, OPTIONS)
    outcome = live_pipeline.tick()
    assert outcome.runs and not outcome.failed_runs
    assert_matches(live_pipeline, [r for content in files.values() for r in decode(content)])
    assert live_pipeline.tick().runs == []
    run = live_pipeline.settings.lake_prefix.split("/")[0]
    facts = cost_facts(live_pipeline.s3, live_pipeline.settings.bucket, run)
    facts["orders_loaded"] = int(live_pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0])
    facts["seconds"] = round(time.monotonic() - started)
    print("\nlive Redshift run: " + ", ".join(f"{name}={value:,}" for name, value in facts.items()))
    assert facts["copy_commands"] >= len(outcome.partitions) and facts["landing_files"] == len(files)
