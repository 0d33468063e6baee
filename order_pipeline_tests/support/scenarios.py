"""What the end-to-end scenarios share: generated orders landed, what the warehouse should then hold (checked against
the oracles), small counts, and the context the daemon hands the run-failure sensor."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import dagster as dg
import orjson

from order_pipeline.commands.generate import GenerateOptions, generated_files
from order_pipeline.datasets.orders_generator import generate_orders, parse_ts
from order_pipeline_tests.support.oracles import daily_summary, latest_versions

TODAY = datetime.now(timezone.utc).date()
# three days of orders, a quarter of them updated later: the orders flow and the deployment scenarios
OPTIONS = GenerateOptions(
    count=240, days=3, files_per_day=2, seed=11, update_share=0.25, start_date=TODAY - timedelta(days=3)
)


def decode(content: bytes) -> list[dict]:
    return [orjson.loads(line) for line in content.splitlines() if line.strip()]


def warehouse_orders(pipeline) -> dict[str, tuple]:
    rows = pipeline.query('SELECT order_id, status, updated_at, total FROM "orders"')
    return {order_id: (status, updated_at, total) for order_id, status, updated_at, total in rows}


def assert_matches(pipeline, records: list[dict]) -> None:
    expected = latest_versions(records)
    loaded = warehouse_orders(pipeline)
    assert set(loaded) == set(expected)
    for order_id, order in expected.items():
        status, updated_at, total = loaded[order_id]
        assert status == order["status"], order_id
        assert updated_at == parse_ts(order["updated_at"]), order_id
        assert total == Decimal(str(order["total"])), order_id
    items = pipeline.query('SELECT order_id, line_number, sku, quantity, unit_price FROM "order_items"')
    expected_items = sorted(
        (o["order_id"], n + 1, i["sku"], i["quantity"], Decimal(str(i["unit_price"])))
        for o in expected.values()
        for n, i in enumerate(o["items"])
    )
    assert sorted(items) == expected_items
    summary = {str(row[0]): row[1:] for row in pipeline.query('SELECT * FROM "daily_order_summary"')}
    oracle = daily_summary(records)
    assert set(summary) == set(oracle)
    for day, values in oracle.items():
        assert summary[day] == (
            values["order_count"],
            values["item_quantity"],
            values["gross_revenue"],
            values["cancelled_count"],
        ), day


def land_generated(pipeline, options: GenerateOptions) -> dict[str, bytes]:
    files = generated_files(options, pipeline.settings.landing_root("orders").rstrip("/"))
    for key, content in files.items():
        pipeline.land(key, content)
    return files


def land_day(pipeline, day: date, prefix: str, sizes: tuple[int, ...] = (3,)) -> list[str]:
    """One landing file per size for `day`, of fresh orders `<prefix><n>-…`; returns the keys."""
    keys = []
    for n, size in enumerate(sizes, start=1):
        orders = generate_orders(size, seed=n, start_date=day, id_prefix=f"{prefix}{n}")
        key = f"{pipeline.settings.landing_root('orders')}{day:%Y/%m/%d}/{prefix.lower()}-{n}.jsonl"
        pipeline.land(key, b"".join(orjson.dumps(o) + b"\n" for o in orders))
        keys.append(key)
    return keys


def counts(pipeline) -> tuple[int, int, int]:
    """(orders rows, distinct order ids, ledger rows)."""
    orders, distinct = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0]
    return orders, distinct, pipeline.query('SELECT COUNT(*) FROM "file_ledger"')[0][0]


def failure_sensor_context(pipeline, defs: dg.Definitions, run_id: str):
    """What the daemon hands `notify_run_failures` for the run: the run, its RUN_FAILURE event, the resources."""
    run = pipeline.instance.get_run_by_id(run_id)
    (failure,) = pipeline.instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name="notify_run_failures",
        dagster_instance=pipeline.instance,
        dagster_run=run,
        dagster_event=failure.dagster_event,
        resources=dict(defs.resources or {}),
    ).for_run_failure()
