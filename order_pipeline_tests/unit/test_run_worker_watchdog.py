"""run_worker_watchdog: a dead (or reaped, or reused) worker process fails its started run; a live one does not."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import dagster as dg

from order_pipeline.components.run_worker_watchdog import build_run_worker_watchdog, worker_alive


def test_a_running_process_is_alive_and_a_killed_one_is_not_even_before_it_is_reaped():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = time.time()
        assert worker_alive(child.pid, started)
        child.kill()
        time.sleep(0.5)  # not waited for: a zombie, as a killed worker is until the code server reaps it
        assert not worker_alive(child.pid, started)
    finally:
        child.wait()
    assert not worker_alive(child.pid, started)  # reaped: no such process


def test_a_process_younger_than_the_run_is_another_process_that_reused_the_id():
    assert worker_alive(os.getpid(), time.time())
    assert not worker_alive(os.getpid(), time.time() - 10 * 24 * 3600)


# A run worker that dies mid-run, as SIGKILL or the OOM killer leave one: RUN_START logged, nothing after.
_DYING_RUN_WORKER = """
import os, signal, dagster as dg

@dg.op(pool="warehouse")
def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)

@dg.op
def wait() -> None:
    pass

@dg.job
def dying() -> None:
    die()

@dg.job
def ending() -> None:
    wait()

with dg.DagsterInstance.get() as instance:
    ending.execute_in_process(instance=instance)
    dying.execute_in_process(instance=instance)
"""


def test_the_sensor_fails_a_started_run_whose_worker_died_and_leaves_ended_runs_alone(tmp_path, monkeypatch):
    """The dead run's pool slot is freed in the same tick (issue 25, item 13: it held the `warehouse` pool's only
    slot until run monitoring freed it about three minutes later, and every other load waited)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    worker = subprocess.run([sys.executable, "-c", _DYING_RUN_WORKER], env={**os.environ}, timeout=300)
    assert worker.returncode == -9
    with dg.DagsterInstance.get() as instance:
        runs = {run.job_name: run for run in instance.get_runs()}
        assert runs["dying"].status == dg.DagsterRunStatus.STARTED  # what run monitoring cannot see locally
        pool = instance.event_log_storage.get_concurrency_info("warehouse")
        assert [slot.run_id for slot in pool.claimed_slots] == [runs["dying"].run_id]  # the dead worker's

        sensor = build_run_worker_watchdog()
        result = sensor(dg.build_sensor_context(instance=instance))
        assert "1 run(s) with a dead worker failed" in result.skip_message
        assert "freed the pool slots of 1 ended run(s)" in result.skip_message
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots == []
        assert instance.get_run_by_id(runs["dying"].run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(runs["ending"].run_id).status == dg.DagsterRunStatus.SUCCESS
        failure = instance.all_logs(runs["dying"].run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert "died without ending the run" in failure[-1].dagster_event.message
        again = sensor(dg.build_sensor_context(instance=instance))
        assert "every started run has a live worker" in again.skip_message


@dg.op
def _nothing() -> None:
    pass


@dg.job
def _launched() -> None:
    _nothing()


def _launched_run(instance: dg.DagsterInstance, seconds_ago: float) -> dg.DagsterRun:
    """A run the launcher marked STARTING `seconds_ago`, whose worker never logged RUN_START."""
    run = instance.create_run_for_job(_launched)
    instance.report_dagster_event(
        dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_STARTING.value, job_name=run.job_name),
        run.run_id,
        timestamp=time.time() - seconds_ago,
    )
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTING
    return run


def test_a_run_launched_but_never_started_is_failed_after_the_grace_and_not_before(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        stuck, fresh = _launched_run(instance, seconds_ago=120), _launched_run(instance, seconds_ago=5)
        result = build_run_worker_watchdog(starting_grace_seconds=90)(dg.build_sensor_context(instance=instance))
        assert "1 run(s) with a dead worker failed" in result.skip_message
        assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(fresh.run_id).status == dg.DagsterRunStatus.STARTING  # may still start
        failure = instance.all_logs(stuck.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert "never started the run within 90 s" in failure[-1].dagster_event.message
