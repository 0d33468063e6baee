"""Issue 20 item 5, through the real sensor, lake and warehouse runs: schema drift stays bounded. A file of
5,000 data-keyed fields grows the dataset's schema state by at most ORDER_PIPELINE_MAX_DRIFT_PATHS; 2,000 new
top-level fields with `new_columns="add"` give the table at most ORDER_PIPELINE_MAX_EVOLVED_COLUMNS columns, loads
keep working, and one notification says what was refused (a later file with the same fields tells nothing again)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

from order_pipeline.conversion.limits import DEFAULT_LIMITS
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.hostile_files import data_keyed_fields, many_new_fields
from order_pipeline_tests.support.pipeline_harness import local_pipeline

TODAY = datetime.now(timezone.utc).date()
MAX_PATHS = DEFAULT_LIMITS.max_drift_paths
MAX_COLUMNS = DEFAULT_LIMITS.max_evolved_columns
DECLARED = len(ORDERS.columns) + len(ORDERS.lineage_columns)


def _drift(pipeline) -> list[dict]:
    return [m for m in pipeline.notifications() if m["event_type"] == "schema_drift"]


def _state(pipeline, bucket: str) -> bytes:
    return pipeline.s3.get_object(Bucket=bucket, Key="lake/_schemas/orders.json")["Body"].read()


def _lake_metadata(outcome) -> dict:
    for run in outcome.runs:
        for materialization in run.get_asset_materialization_events():
            if materialization.asset_key.to_user_string() == "lake/orders_parquet":
                return materialization.materialization.metadata
    raise AssertionError("no lake materialization")


def test_data_keyed_fields_grow_the_schema_state_by_at_most_the_cap(aws_endpoint, bucket, tmp_path):
    with local_pipeline(aws_endpoint, bucket, tmp_path / "state") as pipeline:
        prefix = f"{pipeline.settings.landing_root('orders')}{TODAY:%Y/%m/%d}"
        pipeline.land(f"{prefix}/keyed.jsonl", data_keyed_fields(tmp_path, 5000).read_bytes())

        outcome = pipeline.tick()

        assert not outcome.failed_runs
        state = json.loads(_state(pipeline, bucket))
        # 10,000 data-keyed paths: two maps, each reported as one path (the cap would hold anyway: test below)
        assert sorted(state["reported"]) == ["*", "shipping_address.*"] and len(state["reported"]) <= MAX_PATHS
        assert len(_state(pipeline, bucket)) < 10_000
        (told,) = _drift(pipeline)
        assert [f["field"] for f in told["fields"]] == ["*", "shipping_address.*"]
        assert _lake_metadata(outcome)["undeclared_fields"].value == ["*", "shipping_address.*"]
        assert pipeline.query('SELECT COUNT(*) FROM "orders"') == [(2,)]

        # the same fields again: the state unchanged, nothing told again
        pipeline.land(f"{prefix}/keyed-again.jsonl", data_keyed_fields(tmp_path / "again", 5000).read_bytes())
        assert not pipeline.tick().failed_runs
        assert _drift(pipeline) == []
        assert json.loads(_state(pipeline, bucket)) == state


def test_added_columns_stop_at_the_cap_and_the_refusal_is_told_once(aws_endpoint, bucket, tmp_path, warehouse_env):
    adding = dataclasses.replace(ORDERS, new_columns="add")
    with local_pipeline(aws_endpoint, bucket, tmp_path / "state", datasets=(adding,), extra_env=warehouse_env) as p:
        prefix = f"{p.settings.landing_root('orders')}{TODAY:%Y/%m/%d}"
        p.land(f"{prefix}/wide.jsonl", many_new_fields(tmp_path, 2000).read_bytes())

        outcome = p.tick(adding)

        assert not outcome.failed_runs
        added = [c for c in _columns(p) if c.startswith("field_")]
        assert added == [f"field_{n:05d}" for n in range(MAX_COLUMNS)]
        assert len(_columns(p)) == DECLARED + MAX_COLUMNS
        assert p.query('SELECT COUNT(*) FROM "orders"') == [(3,)]
        (told,) = _drift(p)
        refused = told["columns_refused"]
        assert refused["count"] == MAX_PATHS - MAX_COLUMNS  # the reported fields over the cap, named once
        assert refused["fields"][0] == f"field_{MAX_COLUMNS:05d}" and len(refused["fields"]) == 50
        assert "ORDER_PIPELINE_MAX_EVOLVED_COLUMNS" in refused["why"]
        assert told["fields_not_tracked"]["count"] == 2000 - MAX_PATHS  # neither kept nor added
        metadata = _lake_metadata(outcome)
        assert f"field_{MAX_COLUMNS:05d}" in metadata["columns_refused"].value

        # another file with the same fields (and new orders) loads; nothing is told again
        wide = many_new_fields(tmp_path / "again", 2000).read_bytes().replace(b"ORD-20261120-", b"ORD-20261121-")
        p.land(f"{prefix}/wide-again.jsonl", wide)
        assert not p.tick(adding).failed_runs
        assert _drift(p) == []
        assert p.query('SELECT COUNT(*) FROM "orders"') == [(6,)]
        assert len(_columns(p)) == DECLARED + MAX_COLUMNS


def _columns(pipeline) -> list[str]:
    return [
        row[0]
        for row in pipeline.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' "
            "AND table_schema = current_schema() ORDER BY ordinal_position"
        )
    ]
