"""Secrets given as configuration never show up in what the pipeline writes: log lines, the Dagster event log,
materialization metadata, notifications, the instance's files, the lake/quarantine objects or the ledger.

The warehouse is the local Redshift-compatible endpoint reached through the real redshift_connector, so the
password is really used: once right (a load), once wrong (a failed run, announced by the failure sensor).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from dagster._serdes import serialize_value

from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline_tests.support.bad_inputs import build_corpus
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import failure_sensor_context

TODAY = datetime.now(timezone.utc).date()
WRONG_PASSWORD = f"s3cr3t-{uuid.uuid4().hex}"
AWS_SECRET = f"aws-secret-{uuid.uuid4().hex}"
AWS_TOKEN = f"aws-token-{uuid.uuid4().hex}"


def land_orders(pipeline, day, name: str, count: int, prefix: str) -> None:
    orders = generate_orders(count, seed=1, start_date=day, id_prefix=prefix)
    pipeline.land(
        f"{pipeline.settings.landing_root('orders')}{day:%Y/%m/%d}/{name}",
        b"".join(orjson.dumps(o) + b"\n" for o in orders),
    )


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.fixture
def redshift_pipeline(aws_endpoint, bucket, tmp_path, redshift_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)  # moto accepts any credentials
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
    env = {
        "ORDER_PIPELINE_WAREHOUSE": "redshift",
        "ORDER_PIPELINE_REDSHIFT_HOST": redshift_endpoint.host,
        "ORDER_PIPELINE_REDSHIFT_PORT": str(redshift_endpoint.port),
        "ORDER_PIPELINE_REDSHIFT_DATABASE": redshift_endpoint.database,
        "ORDER_PIPELINE_REDSHIFT_USER": redshift_endpoint.user,
        "ORDER_PIPELINE_REDSHIFT_PASSWORD": redshift_endpoint.password,
        "ORDER_PIPELINE_REDSHIFT_SSL": "false",
        "ORDER_PIPELINE_REDSHIFT_SCHEMA": bucket.replace("-", "_"),
        "ORDER_PIPELINE_REDSHIFT_COPY_IAM_ROLE": "arn:aws:iam::123456789012:role/local-copy",
    }
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as running:
        yield running


def test_secrets_appear_in_no_log_metadata_or_notification(
    redshift_pipeline, redshift_endpoint, monkeypatch, caplog, capfd
):
    pipeline = redshift_pipeline
    secrets = [redshift_endpoint.password, WRONG_PASSWORD, AWS_SECRET, AWS_TOKEN]
    caplog.set_level(logging.INFO)
    for name in ("order_pipeline", "dagster"):
        caplog.set_level(logging.DEBUG, logger=name)

    # a load with the right password: good records, rejected records and a quarantined file
    day = TODAY - timedelta(days=2)
    land_orders(pipeline, day, "orders.jsonl", 12, "SEC")
    corpus = {entry.kind: entry for entry in build_corpus()}
    for kind in ("not_json", "bad_currency"):
        pipeline.land(
            f"{pipeline.settings.landing_root('orders')}{day:%Y/%m/%d}/{corpus[kind].filename}", corpus[kind].content
        )
    loaded = pipeline.tick()
    assert len(loaded.runs) == 1 and not loaded.failed_runs
    expected = 12 + corpus["bad_currency"].good_records
    assert pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0] == expected

    # a failed run: the configured password is wrong
    monkeypatch.setenv("ORDER_PIPELINE_REDSHIFT_PASSWORD", WRONG_PASSWORD)
    land_orders(pipeline, TODAY - timedelta(days=1), "more.jsonl", 5, "SEC2")
    failed = pipeline.tick()
    (failed_run,) = failed.runs
    assert not failed_run.success
    assert failed_run.get_failed_step_keys() == {"warehouse_orders"}
    defs = pipeline.defs()
    defs.resolve_sensor_def("notify_run_failures")(failure_sensor_context(pipeline, defs, failed_run.run_id))
    monkeypatch.setenv("ORDER_PIPELINE_REDSHIFT_PASSWORD", redshift_endpoint.password)

    # notifications: every body and attribute
    messages = pipeline.notifications()
    types = sorted(m["event_type"] for m in messages)
    assert types == ["file_quarantined", "partition_loaded", "records_rejected", "run_failed"], types
    (run_failed,) = [m for m in messages if m["event_type"] == "run_failed"]
    assert "password" in run_failed["error"].lower() or "auth" in run_failed["error"].lower(), run_failed
    for message in messages:
        assert leaks(orjson.dumps(message).decode(), secrets) == [], message["event_type"]

    # captured log lines (Python logging and everything written to stdout/stderr)
    for record in caplog.records:
        assert leaks(record.getMessage(), secrets) == [], record.getMessage()
    assert leaks(caplog.text, secrets) == []
    out, err = capfd.readouterr()
    assert "Exceeded max_retries" in err  # the failed run's logs were captured here
    assert leaks(out + err, secrets) == []

    # the Dagster event log of every run: messages, and each entry whole (errors, metadata)
    instance = pipeline.instance
    runs = instance.get_runs()
    assert {run.run_id for run in runs} >= {loaded.runs[0].run_id, failed_run.run_id}
    for run in runs:
        assert leaks(serialize_value(run), secrets) == [], run.run_id  # run config and tags
        for entry in instance.all_logs(run.run_id):
            assert leaks(entry.message or "", secrets) == [], entry.message
            assert leaks(serialize_value(entry), secrets) == [], entry.message

    # materialization metadata of every asset
    checked = 0
    for key in defs.resolve_asset_graph().get_all_asset_keys():
        for record in instance.fetch_materializations(key, limit=100).records:
            materialization = record.asset_materialization
            assert materialization is not None
            for name, value in materialization.metadata.items():
                assert leaks(f"{name}={value}", secrets) == [], (key, name)
                assert leaks(serialize_value(value), secrets) == [], (key, name)
                checked += 1
    assert checked > 20

    # every file the instance wrote (event log and run databases, captured compute logs)
    root = Path(instance.root_directory)
    files = [path for path in root.rglob("*") if path.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert [s for s in secrets if s.encode() in data] == [], path

    # everything in the bucket (lake, conversion records, quarantine reports, manifests) and the ledger
    s3 = pipeline.s3
    bucket = pipeline.settings.bucket
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert [s for s in secrets if s.encode() in body] == [], key
    for (error,) in pipeline.query('SELECT error FROM "file_ledger"'):
        assert leaks(error or "", secrets) == []
