"""The live Redshift test's cost report counts what a run stored and what its COPYs read (offline, on moto)."""

from __future__ import annotations

import json

from order_pipeline_tests.support.live_redshift import cost_facts


def test_cost_facts_count_landing_files_parts_and_copies(s3_client, bucket):
    for key, body in {
        "run/landing/a.jsonl": b"12345",
        "run/landing/b.jsonl": b"123",
        "run/lake/orders/dt=1/a.parquet": b"x" * 10,
        "run/lake/orders/dt=1/b.parquet": b"x" * 20,
        "other/landing/c.jsonl": b"not this run",
    }.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=body)
    manifest = {
        "entries": [
            {"url": "s3://b/run/lake/orders/dt=1/a.parquet", "meta": {"content_length": 10}},
            {"url": "s3://b/run/lake/orders/dt=1/b.parquet", "meta": {"content_length": 20}},
        ]
    }
    s3_client.put_object(Bucket=bucket, Key="run/lake/_manifests/x/orders.manifest", Body=json.dumps(manifest))
    assert cost_facts(s3_client, bucket, "run") == {
        "landing_files": 2,
        "landing_bytes": 8,
        "parquet_parts": 2,
        "parquet_bytes": 30,
        "copy_commands": 1,
        "copy_bytes_read": 30,
    }
