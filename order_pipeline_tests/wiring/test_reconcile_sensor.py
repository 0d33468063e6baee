"""The reconcile sensor as one Dagster object (`dg.build_sensor_context`, local endpoint, DuckDB ledger): a date
whose run is in progress is left to it, and requested again once that run has ended without loading it
(e2e/test_reconcile_in_progress.py runs the whole story across reconciles, notifications and the load)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg

from order_pipeline.components.keys import job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order

DAY = datetime.now(timezone.utc).date() - timedelta(days=2)


def evaluate(pipeline, cursor: str | None) -> dg.SensorResult:
    defs = pipeline.defs()
    context = dg.build_sensor_context(
        instance=pipeline.instance,
        cursor=cursor,
        definitions=defs,
        sensor_name=ORDERS.reconcile_sensor_name,
        resources=dict(defs.resources or {}),
    )
    return defs.resolve_sensor_def(ORDERS.reconcile_sensor_name).evaluate_tick(context)


def test_a_date_with_a_run_in_progress_is_left_to_it_and_requested_once_the_run_failed(pipeline):
    pipeline.land(f"{pipeline.settings.landing_root(ORDERS.name)}{DAY:%Y/%m/%d}/a.jsonl", jsonl_bytes([order(1)]))
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    running = pipeline.instance.create_run_for_job(
        job, status=dg.DagsterRunStatus.STARTED, tags={"dagster/partition": DAY.isoformat()}
    )

    left = evaluate(pipeline, None)
    assert not left.run_requests
    assert left.skip_message and left.skip_message.startswith(
        "1 dates with unloaded files, each being loaded by a run in progress"
    )

    pipeline.instance.report_run_failed(pipeline.instance.get_run_by_id(running.run_id))
    taken = evaluate(pipeline, left.cursor)
    assert [request.partition_key for request in taken.run_requests or ()] == [DAY.isoformat()]
