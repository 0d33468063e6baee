"""A second dataset is a declaration, not code: it loads through the same assets factory, job and sensor."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import orjson

from order_pipeline_tests.support.customers import CUSTOMERS
from order_pipeline_tests.support.pipeline_harness import local_pipeline


def customer(number: int, version: int, name: str) -> dict:
    return {
        "customer_id": number,
        "name": name,
        "vip": number % 2 == 0,
        "version": version,
        "signed_up_at": "2026-11-20T08:00:00Z",
    }


def test_second_dataset_loads_through_the_same_factory(aws_endpoint, bucket, tmp_path):
    today = datetime.now(timezone.utc).date()
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(CUSTOMERS,)) as pipeline:
        graph = pipeline.defs().resolve_asset_graph()
        assert {k.to_user_string() for k in graph.get_all_asset_keys()} == {
            "raw/customers_json",
            "lake/customers_parquet",
            "warehouse/customers",
        }
        assert graph.get(dg.AssetKey(["warehouse", "customers"])).parent_keys == {
            dg.AssetKey(["lake", "customers_parquet"])
        }

        prefix = f"{pipeline.settings.landing_root('customers')}{today:%Y/%m/%d}"
        first = [customer(n, 1, f"name {n}") for n in range(1, 6)]
        pipeline.land(f"{prefix}/a.jsonl", b"".join(orjson.dumps(r) + b"\n" for r in first))
        outcome = pipeline.tick(CUSTOMERS)
        assert outcome.partitions == [today.isoformat()] and not outcome.failed_runs

        update = [customer(2, 2, "renamed"), customer(6, 1, "new"), {"customer_id": "x", "version": 0}]
        pipeline.land(f"{prefix}/b.jsonl", b"".join(orjson.dumps(r) + b"\n" for r in update))
        assert not pipeline.tick(CUSTOMERS).failed_runs
        rows = dict(pipeline.query('SELECT customer_id, name FROM "customers"'))
        assert rows == {1: "name 1", 2: "renamed", 3: "name 3", 4: "name 4", 5: "name 5", 6: "new"}
