"""Faults under the real daemon, continued (system/test_daemon_faults.py has the killed run worker and the killed
daemon): the warehouse pool slot of a load killed mid-load, freed at once, and the S3 endpoint paused for 40 seconds
during a run. The same recovery is checked after each (support/daemon_faults.py). A module of its own so that make
test's --dist loadfile runs it beside test_daemon_faults.py.
"""

from __future__ import annotations

import os
import signal
import time

import dagster as dg

from order_pipeline_tests.support.daemon_faults import (
    BACKLOG,
    POOL_FREED_SECONDS,
    RECOVERY_ENV,
    assert_recovered,
    catch_a_load,
    pool_holders,
)
from order_pipeline_tests.support.dagster_deployment import dagster_deployment, wait_until


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
