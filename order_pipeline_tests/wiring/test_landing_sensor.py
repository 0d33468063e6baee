"""The landing sensor as one Dagster object: evaluated with `dg.build_sensor_context` on the local endpoint and
DuckDB, no run executed (e2e/ drives the same sensor through whole runs)."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import order
from order_pipeline_tests.support.wiring import evaluate_sensor, land_orders


def evaluate(pipeline, cursor: str | None) -> dg.SensorResult:
    return evaluate_sensor(pipeline, ORDERS.landing_sensor_name, cursor)


def test_new_files_become_one_run_request_per_landing_date_then_the_sensor_skips_with_a_reason(pipeline):
    today = datetime.now(timezone.utc).date()
    land_orders(pipeline, today, "a.jsonl", [order(1)])
    land_orders(pipeline, today, "b.jsonl", [order(2)])

    first = evaluate(pipeline, None)
    assert [request.partition_key for request in first.run_requests or ()] == [today.isoformat()]
    assert first.skip_message is None

    second = evaluate(pipeline, first.cursor)
    assert not second.run_requests
    assert second.skip_message and second.skip_message.startswith(f"no new {ORDERS.name} files")
