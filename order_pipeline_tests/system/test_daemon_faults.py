"""Faults under the real daemon (support/dagster_deployment.py: code server, webserver and daemon on the
production instance): the process running a load SIGKILLed mid-load, the daemon and the code server running
its runs SIGKILLed mid-load and started again on the same state, the S3 endpoint paused for 40 seconds during a run.

After each, with the daemon left to recover on its own: the warehouse holds exactly the distinct orders in their
latest versions, the ledger one row per landed file version, every failed run was announced (run_failed) and its
landing date loaded by a later run, and no run is left queued, starting or started.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from order_pipeline.commands.generate import GenerateOptions
from order_pipeline.components.policies import WAREHOUSE_POOL
from order_pipeline_tests.support.dagster_deployment import Deployment, dagster_deployment, wait_until
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
# make test runs the system tier on two xdist workers with --dist loadfile: these four scenarios run one after the
# other on one worker (each has a deployment of its own: endpoint and ports from free_port(), its own Dagster database
# and state folder under tmp_path), beside the rest of the tier on the other.


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


@pytest.fixture
def postgres(redshift_endpoint):
    return redshift_endpoint.postgres


def test_the_process_running_a_load_killed_mid_load_is_failed_announced_and_retried(tmp_path, postgres):
    """The partition job runs its steps in its run worker (the in-process executor), so the process that runs
    the load is the run worker: SIGKILLed, it can end nothing. The code server that started it sees its process
    gone and fails the run (or run_worker_watchdog does, whichever looks first); the failure is announced and
    Dagster's run retries load the date again. (Under the multiprocess executor the step's own retry policy may
    take it instead.)"""
    with dagster_deployment(
        "fault-step-worker", tmp_path, postgres, partition_start=BACKLOG.first_day(), env=RECOVERY_ENV
    ) as deployment:
        files = deployment.land_generated(BACKLOG)
        run, pid = catch_a_load(deployment)
        partition = run.tags["dagster/partition"]
        os.kill(pid, signal.SIGKILL)
        assert deployment.load_in_progress(partition)  # killed mid-load: the load never ended
        deployment.wait_until_loaded(timeout=900)

        notices = assert_recovered(deployment, files)
        killed = deployment.instance.get_run_by_id(run.run_id)
        if killed.status == dg.DagsterRunStatus.SUCCESS:  # a step worker: the step's retry policy took it again
            assert LOAD_STEP in deployment.step_keys(run.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)
        else:  # the run worker: failed at once, announced, and retried by Dagster's run retries
            assert killed.status == dg.DagsterRunStatus.FAILURE
            assert run.run_id in {n["run_id"] for n in notices}
            assert any(r.parent_run_id == run.run_id for r in deployment.runs())


def pool_holders(deployment: Deployment) -> set[str]:
    """The runs holding, or waiting for, a slot of the warehouse pool."""
    pool = deployment.instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return {slot.run_id for slot in pool.claimed_slots} | {step.run_id for step in pool.pending_steps}


def test_a_load_killed_mid_load_frees_the_warehouse_pool_at_once_and_the_other_loads_go_on(tmp_path, postgres):
    """(Issue 25, item 13: the dead run kept the warehouse pool's only slot until run monitoring freed it, about
    three minutes later — free_slots_after_run_end_seconds plus its poll — and every other date's load, and the
    retry itself, sat "blocked by limit for pool warehouse".) Here run monitoring would free it only after an
    hour: run_worker_watchdog frees it on its next tick, the run's worker being known dead."""
    overrides = {
        "run_monitoring": {
            "poll_interval_seconds": 5,
            "start_timeout_seconds": 120,
            "free_slots_after_run_end_seconds": 3600,
        }
    }
    with dagster_deployment(
        "fault-pool-slot",
        tmp_path,
        postgres,
        partition_start=BACKLOG.first_day(),
        env=RECOVERY_ENV,
        instance_overrides=overrides,
    ) as deployment:
        files = deployment.land_generated(BACKLOG)
        run, pid = catch_a_load(deployment)
        assert run.run_id in pool_holders(deployment)  # it holds the pool's only slot
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: deployment.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE,
            120,
            "the killed run failed (by the code server or run_worker_watchdog)",
            deployment,
        )
        wait_until(
            lambda: run.run_id not in pool_holders(deployment),
            POOL_FREED_SECONDS,
            "the dead run's warehouse pool slot freed",
            deployment,
        )
        (failure,) = deployment.events(run.run_id, dg.DagsterEventType.RUN_FAILURE)
        freed_after = time.time() - failure.timestamp
        print(f"the dead run's pool slot was free {freed_after:.0f} s after the run failed")
        deployment.wait_until_loaded(timeout=900)  # well within run monitoring's hour: nothing waited for it

        assert_recovered(deployment, files)
        retries = [r for r in deployment.runs() if r.parent_run_id == run.run_id]
        assert [r.status for r in retries] == [dg.DagsterRunStatus.SUCCESS]


def test_the_daemon_killed_with_its_runs_mid_load_restarts_and_nothing_stays_started(tmp_path, postgres):
    """The daemon and the code server that runs its runs die at once (their machine does; `dagster dev` takes
    both down together): the run they were loading has no worker left to end it, and the code server that would
    have noticed is gone too. The default run launcher cannot tell run monitoring (only its max-runtime limit, an
    hour in deploy/dagster.yaml, would end the run), so run_worker_watchdog, in the restarted code server, fails
    the run whose worker is dead (and a run launched just before the kill, whose worker died before starting it,
    once it has been STARTING for 90 s); each failure is announced, Dagster's run retries load the date again, and
    the pool slot the dead run held is freed so later loads do not wait."""
    overrides = {"run_monitoring": {"poll_interval_seconds": 5, "free_slots_after_run_end_seconds": 5}}
    with dagster_deployment(
        "fault-daemon",
        tmp_path,
        postgres,
        partition_start=BACKLOG.first_day(),
        env=RECOVERY_ENV,
        instance_overrides=overrides,
    ) as deployment:
        files = deployment.land_generated(BACKLOG)
        run, _ = catch_a_load(deployment)
        for name in ("daemon", "code-server"):  # SIGKILL, process groups and all: runs and step workers too
            process = deployment.processes.processes.pop(name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        assert deployment.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
        deployment.processes.start_code_server()
        deployment.processes.start_daemon()
        deployment.wait_until_loaded(timeout=1200)

        notices = assert_recovered(deployment, files)
        killed = deployment.instance.get_run_by_id(run.run_id)
        assert killed.status == dg.DagsterRunStatus.FAILURE  # not left STARTED for the max-runtime hour
        failure = deployment.events(run.run_id, dg.DagsterEventType.RUN_FAILURE)
        assert "died without ending the run" in failure[-1].dagster_event.message  # by run_worker_watchdog
        assert run.run_id in {n["run_id"] for n in notices}
        retries = [r for r in deployment.runs() if r.parent_run_id == run.run_id]
        assert [r.status for r in retries] == [dg.DagsterRunStatus.SUCCESS]


def test_s3_paused_for_40_seconds_during_a_run_delays_it_and_loses_nothing(tmp_path, postgres):
    with dagster_deployment(
        "fault-s3-pause", tmp_path, postgres, partition_start=BACKLOG.first_day(), env=RECOVERY_ENV
    ) as deployment:
        files = deployment.land_generated(BACKLOG)
        run, _ = catch_a_load(deployment)
        deployment.pause_endpoint()
        try:
            time.sleep(40)
        finally:
            deployment.resume_endpoint()
        deployment.wait_until_loaded(timeout=900)

        assert_recovered(deployment, files)
        paused = deployment.instance.get_run_by_id(run.run_id)
        assert paused.status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)
