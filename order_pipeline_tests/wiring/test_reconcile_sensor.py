"""The reconcile sensor as one Dagster object (`dg.build_sensor_context`, local endpoint, DuckDB ledger): a date
whose run is in progress is left to it, tick after tick and without an alarm, and requested again once that run
has ended without loading it (e2e/test_reconcile_in_progress.py runs the requested run and its load)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg

from order_pipeline.components.keys import job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import order
from order_pipeline_tests.support.wiring import evaluate_sensor, land_orders

DAY = datetime.now(timezone.utc).date() - timedelta(days=2)


def evaluate(pipeline, cursor: str | None) -> dg.SensorResult:
    return evaluate_sensor(pipeline, ORDERS.reconcile_sensor_name, cursor)


def test_a_date_with_a_run_in_progress_is_left_to_it_across_reconciles_without_an_alarm_and_requested_once_it_failed(
    pipeline,
):
    """(Issue 25, item 14: the reconcile counted a date's missed reconciles before leaving out dates with a run in
    progress, so a long load got a `files_unloaded` notice "still not loaded" although its run was about to load
    it.) Four reconciles: one more than the misses after which unloaded files are announced."""
    land_orders(pipeline, DAY, "a.jsonl", [order(1)])
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    running = pipeline.instance.create_run_for_job(
        job, status=dg.DagsterRunStatus.STARTED, tags={"dagster/partition": DAY.isoformat()}
    )

    cursor = None
    for _ in range(4):
        left = evaluate(pipeline, cursor)
        assert not left.run_requests
        assert left.skip_message and left.skip_message.startswith(
            "1 dates with unloaded files, each being loaded by a run in progress"
        )
        assert "1 more dates being loaded by a run in progress" in left.skip_message
        cursor = left.cursor
    assert [n for n in pipeline.notifications() if n["event_type"] == "files_unloaded"] == []

    pipeline.instance.report_run_failed(pipeline.instance.get_run_by_id(running.run_id))
    taken = evaluate(pipeline, cursor)
    assert [request.partition_key for request in taken.run_requests or ()] == [DAY.isoformat()]
    assert [n for n in pipeline.notifications() if n["event_type"] == "files_unloaded"] == []
