"""Faults under the real daemon (support/dagster_deployment.py: code server, webserver and daemon on the
production instance): the process running a load SIGKILLed mid-load, and the daemon and the code server running
its runs SIGKILLed mid-load and started again on the same state (the pool slot of a killed load and the S3 endpoint
paused during a run: system/test_pool_and_endpoint_faults.py).

After each, with the daemon left to recover on its own: the warehouse holds exactly the distinct orders in their
latest versions, the ledger one row per landed file version, every failed run was announced (run_failed) and its
landing date loaded by a later run, and no run is left queued, starting or started (support/daemon_faults.py).

make test runs the system tier on two xdist workers with --dist loadfile: a module's scenarios run one after the
other on one worker; the two fault modules may run side by side (each scenario has a deployment of its own:
endpoint and ports from free_port(), its own Dagster database and state folder under tmp_path).
"""

from __future__ import annotations

import os
import signal

import dagster as dg

from order_pipeline_tests.support.daemon_faults import (
    BACKLOG,
    LOAD_STEP,
    RECOVERY_ENV,
    assert_recovered,
    catch_a_load,
)
from order_pipeline_tests.support.dagster_deployment import dagster_deployment


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
