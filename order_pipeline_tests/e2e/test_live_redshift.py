"""Opt-in: the end-to-end scenario against a real bucket and a real Redshift cluster or workgroup.

Runs only when ORDER_PIPELINE_LIVE_BUCKET and ORDER_PIPELINE_LIVE_REDSHIFT_HOST are set, with the usual
ORDER_PIPELINE_REDSHIFT_* variables (user, password or IAM, COPY role) and AWS credentials; AWS_ENDPOINT_URL
must be unset. Everything it writes goes under a unique prefix and schema, removed afterwards.
"""

from __future__ import annotations

import os
import uuid

import boto3
import dagster as dg
import pytest

from order_pipeline.config import load_settings
from order_pipeline_tests.e2e.test_orders_flow import OPTIONS, assert_matches, decode, land_generated
from order_pipeline_tests.support.pipeline_harness import LocalPipeline

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not (os.environ.get("ORDER_PIPELINE_LIVE_BUCKET")
                            and os.environ.get("ORDER_PIPELINE_LIVE_REDSHIFT_HOST")),
                       reason="set ORDER_PIPELINE_LIVE_BUCKET and ORDER_PIPELINE_LIVE_REDSHIFT_HOST to run"),
]


@pytest.fixture
def live_pipeline(monkeypatch, tmp_path):
    run = f"live-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {
        "ORDER_PIPELINE_BUCKET": os.environ["ORDER_PIPELINE_LIVE_BUCKET"],
        "ORDER_PIPELINE_REDSHIFT_HOST": os.environ["ORDER_PIPELINE_LIVE_REDSHIFT_HOST"],
        "ORDER_PIPELINE_WAREHOUSE": "redshift",
        "ORDER_PIPELINE_LANDING_PREFIX": f"{run}/landing",
        "ORDER_PIPELINE_LAKE_PREFIX": f"{run}/lake",
        "ORDER_PIPELINE_QUARANTINE_PREFIX": f"{run}/quarantine",
        "ORDER_PIPELINE_REDSHIFT_SCHEMA": run.replace("-", "_"),
        "ORDER_PIPELINE_STATE_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(settings=load_settings(), instance=instance, queue_url="")
        try:
            yield pipeline
        finally:
            bucket = boto3.resource("s3").Bucket(pipeline.settings.bucket)
            bucket.objects.filter(Prefix=f"{run}/").delete()
            pipeline.query(f'DROP SCHEMA IF EXISTS "{run.replace("-", "_")}" CASCADE')


def test_orders_flow_against_real_redshift(live_pipeline):
    files = land_generated(live_pipeline, OPTIONS)
    outcome = live_pipeline.tick()
    assert outcome.runs and not outcome.failed_runs
    assert_matches(live_pipeline, [r for content in files.values() for r in decode(content)])
    assert live_pipeline.tick().runs == []
