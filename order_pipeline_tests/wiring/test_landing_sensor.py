"""The landing sensor as one Dagster object: evaluated with `dg.build_sensor_context` on the local endpoint and
DuckDB, no run executed (e2e/ drives the same sensor through whole runs)."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order


def evaluate(pipeline, cursor: str | None) -> dg.SensorResult:
    defs = pipeline.defs()
    context = dg.build_sensor_context(
        instance=pipeline.instance,
        cursor=cursor,
        definitions=defs,
        sensor_name=ORDERS.landing_sensor_name,
        resources=dict(defs.resources or {}),
    )
    return defs.resolve_sensor_def(ORDERS.landing_sensor_name).evaluate_tick(context)


def test_new_files_become_one_run_request_per_landing_date_then_the_sensor_skips_with_a_reason(pipeline):
    today = datetime.now(timezone.utc).date()
    root = pipeline.settings.landing_root(ORDERS.name)
    pipeline.land(f"{root}{today:%Y/%m/%d}/a.jsonl", jsonl_bytes([order(1)]))
    pipeline.land(f"{root}{today:%Y/%m/%d}/b.jsonl", jsonl_bytes([order(2)]))

    first = evaluate(pipeline, None)
    assert [request.partition_key for request in first.run_requests or ()] == [today.isoformat()]
    assert first.skip_message is None

    second = evaluate(pipeline, first.cursor)
    assert not second.run_requests
    assert second.skip_message and second.skip_message.startswith(f"no new {ORDERS.name} files")
