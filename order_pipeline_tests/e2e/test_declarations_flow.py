"""Declarations without special cases, on both warehouses: a dataset named `orders` with another shape, and a
dataset without a version column (the later file version wins by landing order, across partitions too)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import orjson

from order_pipeline.commands.headless import request_tags
from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline_tests.support.pipeline_harness import local_pipeline

TODAY = datetime.now(timezone.utc).date()

# Another team's "orders": flat, keyed by a number, no version column, a date instead of a timestamp.
OTHER_ORDERS = Dataset(
    name="orders",
    merge_key=("order_no",),
    event_time_column="placed_on",
    columns=(
        Column("order_no", "int64", nullable=False),
        Column("placed_on", "date", nullable=False),
        Column("amount", "decimal", precision=10, scale=2, nullable=False),
        Column("customer", "string", max_bytes=64),
    ),
)


def order(number: int, amount: str, customer: str = "c") -> dict:
    return {"order_no": number, "placed_on": "2026-11-20", "amount": amount, "customer": customer}


def jsonl(*records: dict) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def amounts(pipeline) -> dict[int, Decimal]:
    return dict(pipeline.query('SELECT "order_no", "amount" FROM "orders"'))


def test_another_orders_dataset_without_a_version_column(aws_endpoint, bucket, tmp_path, warehouse_env):  # noqa: F811
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(OTHER_ORDERS,), extra_env=warehouse_env) as pipeline:
        keys = {k.to_user_string() for k in pipeline.defs().resolve_asset_graph().get_all_asset_keys()}
        assert keys == {"raw/orders_json", "lake/orders_parquet", "warehouse/orders"}  # no order summary attached
        root = pipeline.settings.landing_root("orders")
        today, yesterday = f"{root}{TODAY:%Y/%m/%d}", f"{root}{TODAY - timedelta(days=1):%Y/%m/%d}"

        pipeline.land(f"{today}/a.jsonl", jsonl(order(1, "10.00"), order(2, "20.00"), order(1, "11.00")))
        assert not pipeline.tick(OTHER_ORDERS).failed_runs
        assert amounts(pipeline) == {1: Decimal("11.00"), 2: Decimal("20.00")}  # the later record of a file wins

        # an earlier landing loaded after a later one does not win, even in another partition: yesterday's file
        # lands first, today's second, and today's run goes first
        pipeline.land(f"{yesterday}/late.jsonl", jsonl(order(2, "22.00")))
        time.sleep(1.1)  # S3 keeps LastModified to the second: versions must land in different seconds
        pipeline.land(f"{today}/b.jsonl", jsonl(order(2, "23.00"), order(3, "30.00")))
        outcome = pipeline.tick(OTHER_ORDERS, execute=False)
        job = pipeline.defs().resolve_job_def(outcome.requests[0].job_name or "orders_load_job")
        for request in sorted(outcome.requests, key=lambda r: r.partition_key or "", reverse=True):
            run = job.execute_in_process(
                instance=pipeline.instance, partition_key=request.partition_key, tags=request_tags(request)
            )
            assert run.success
        assert [r.partition_key for r in outcome.requests] and len(outcome.requests) == 2
        assert amounts(pipeline) == {1: Decimal("11.00"), 2: Decimal("23.00"), 3: Decimal("30.00")}
        landed = dict(pipeline.query('SELECT "order_no", "_source_landed_at" FROM "orders"'))
        assert landed[2] == landed[3]  # both from b.jsonl

        # and a later landing in an older partition wins
        time.sleep(1.1)
        pipeline.land(f"{yesterday}/later.jsonl", jsonl(order(3, "31.00")))
        assert not pipeline.tick(OTHER_ORDERS).failed_runs
        assert amounts(pipeline)[3] == Decimal("31.00")
        ((count, distinct),) = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT "order_no") FROM "orders"')
        assert count == distinct == 3
