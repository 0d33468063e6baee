"""Scenario helpers of the faults under the real daemon (system/test_daemon_faults.py,
system/test_pool_and_endpoint_faults.py): a backlog to load, a load caught in progress, and the checks that a
deployment recovered on its own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg

from order_pipeline.commands.generate import GenerateOptions
from order_pipeline.components.policies import WAREHOUSE_POOL
from order_pipeline_tests.support.dagster_deployment import Deployment, wait_until
from order_pipeline_tests.support.scenarios import assert_matches, decode

TODAY = datetime.now(timezone.utc).date()
# a backlog of four landing dates, big enough that a load takes a moment to catch
BACKLOG = GenerateOptions(
    count=8000, days=4, files_per_day=3, seed=23, update_share=0.2, start_date=TODAY - timedelta(days=4)
)
LOAD_STEP = "warehouse_orders"
# two ticks of notify_run_failures (30 s each) and the time to publish
ANNOUNCE_TIMEOUT_SECONDS = 90
# the reconcile requests what a failed run left behind, sooner than in production
RECOVERY_ENV = {"ORDER_PIPELINE_RECONCILE_INTERVAL_SECONDS": "20", "ORDER_PIPELINE_RECONCILE_MIN_AGE_SECONDS": "60"}
# a dead run's pool slot is freed by run_worker_watchdog's next tick (every 15 s), not after run monitoring's
# free_slots_after_run_end_seconds (120 s in deploy/dagster.yaml, plus its 60 s poll)
POOL_FREED_SECONDS = 90


def catch_a_load(deployment: Deployment, timeout: float = 600) -> tuple[dg.DagsterRun, int]:
    """A run whose warehouse step is loading right now, and that step's process."""

    def loading() -> tuple[dg.DagsterRun, int] | None:
        for run in deployment.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
            pid = deployment.step_pid(run.run_id, LOAD_STEP)
            if pid and deployment.load_in_progress(run.tags["dagster/partition"]):
                return run, pid
        return None

    return wait_until(loading, timeout, "a run loading the warehouse", deployment, interval=0.1)


def announced_failures(deployment: Deployment, failed_run_ids: set[str]) -> list[dict]:
    """The run_failed notifications, once one has come for each failed run. notify_run_failures is a run status
    sensor ticking every 30 s: a run failed moments before its date was loaded again (the watchdog fails a run that
    never started after 90 s, and its retry loads in seconds) is announced on the sensor's next tick, which may come
    after the date is loaded."""
    notices: list[dict] = []

    def every_failure_announced() -> bool:
        notices.extend(n for n in deployment.notifications() if n["event_type"] == "run_failed")
        return failed_run_ids <= {n["run_id"] for n in notices}

    wait_until(
        every_failure_announced,
        ANNOUNCE_TIMEOUT_SECONDS,
        f"a run_failed notification for each failed run {sorted(failed_run_ids)}",
        deployment,
    )
    return notices


def assert_recovered(deployment: Deployment, files: dict[str, bytes]) -> list[dict]:
    """Exact orders, an exact ledger, nothing in progress, every failed run announced and its date loaded later.
    Returns the run_failed notifications."""
    assert_matches(deployment, [record for content in files.values() for record in decode(content)])
    assert sorted(deployment.ledger_versions()) == sorted(deployment.landed_versions())
    runs = deployment.runs()
    assert not deployment.in_progress()
    failed_notices = announced_failures(deployment, {r.run_id for r in runs if r.status == dg.DagsterRunStatus.FAILURE})
    for run in runs:
        if run.status == dg.DagsterRunStatus.FAILURE:
            partition = run.tags["dagster/partition"]
            later = [
                r
                for r in runs
                if r.tags.get("dagster/partition") == partition
                and r.status == dg.DagsterRunStatus.SUCCESS
                and deployment.instance.get_run_record_by_id(r.run_id).create_timestamp
                > deployment.instance.get_run_record_by_id(run.run_id).create_timestamp
            ]
            assert later, f"{partition}: nothing loaded it after the failed run {run.run_id}"
        else:
            assert run.status == dg.DagsterRunStatus.SUCCESS, (run.run_id, run.status)
    return failed_notices


def pool_holders(deployment: Deployment) -> set[str]:
    """The runs holding, or waiting for, a slot of the warehouse pool."""
    pool = deployment.instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return {slot.run_id for slot in pool.claimed_slots} | {step.run_id for step in pool.pending_steps}
