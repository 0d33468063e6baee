"""Runs whose worker died, failed at once instead of staying STARTED (or STARTING).

Dagster's default run launcher (one machine: `order-pipeline run`, `dagster dev`) cannot tell run monitoring that a
run worker is gone, so a run whose process was killed (OOM killer, SIGKILL) stays STARTED until the max-runtime
limit: its landing date is left to a run that will never end and its pool slot stays taken. The ECS and Kubernetes
launchers report dead workers themselves; there this sensor stands aside. It is evaluated by the code server that
started the workers, on their machine, so a process id names the worker.

A run launched but never started (its worker died before logging RUN_START, e.g. killed with the code server that
was spawning it) has no process id: it is failed once it has been STARTING for `starting_grace_seconds` — a worker
of the default launcher logs RUN_START seconds after its launch — instead of run monitoring's start timeout (300 s
in deploy/dagster.yaml, sized for container launchers).

A run that ended with its worker gone (failed here, or by the code server that saw its process exit) may still hold
pool slots: a worker killed mid-load never frees the `warehouse` pool's only slot, and every other load waits for it.
Run monitoring frees the slots of ended runs only `free_slots_after_run_end_seconds` after their end (plus its
poll: about three minutes in deploy/dagster.yaml); this sensor frees them on its next tick, the dead worker being
known here. A worker still alive is left to free its own slots as it ends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import dagster as dg

# a worker whose process is younger than its run's start is another process that reused the id
_CLOCK_SLACK_SECONDS = 2.0
STARTING_GRACE_SECONDS = 90


def worker_alive(pid: int, started_at: float) -> bool:
    """Whether the process `pid` that started a run at `started_at` (epoch seconds) is still running it."""
    import psutil  # only the sensor's ticks need it, not a run worker loading the code location

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # exited, not yet reaped by the code server
            return False
        return process.create_time() <= started_at + _CLOCK_SLACK_SECONDS
    except psutil.NoSuchProcess:
        return False


def _run_workers(instance: dg.DagsterInstance) -> Iterator[tuple[dg.DagsterRun, int, float]]:
    """Each started run with the process id and start time of the worker that logged its RUN_START."""
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        starts = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START)
        event = starts[-1].dagster_event if starts else None
        if event is not None and event.pid:
            yield run, event.pid, starts[-1].timestamp


def _never_started(instance: dg.DagsterInstance, grace_seconds: float) -> Iterator[dg.DagsterRun]:
    """Each run STARTING for longer than `grace_seconds` since its launch."""
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING])):
        launched = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_STARTING)
        if launched and time.time() - launched[-1].timestamp > grace_seconds:
            yield run


def fail_runs_whose_worker_died(
    instance: dg.DagsterInstance, starting_grace_seconds: float = STARTING_GRACE_SECONDS
) -> list[str]:
    """Report each started run whose worker process is gone, and each run that never started, as failed; returns
    their run ids."""
    failed = []
    for run in _never_started(instance, starting_grace_seconds):
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status != dg.DagsterRunStatus.STARTING:
            continue
        instance.report_run_failed(
            current,
            message=(
                f"The run worker never started the run within {starting_grace_seconds:.0f} s of its launch "
                "(its process died first, e.g. with the code server spawning it); failed by run_worker_watchdog "
                "so that it is announced and retried"
            ),
        )
        failed.append(run.run_id)
    for run, pid, started_at in _run_workers(instance):
        if worker_alive(pid, started_at):
            continue
        # The worker is dead, so it writes nothing more: a run still STARTED now will never end by itself.
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status != dg.DagsterRunStatus.STARTED:
            continue
        instance.report_run_failed(
            current,
            message=(
                f"The run worker (pid {pid}) died without ending the run (killed, or out of memory); "
                "failed by run_worker_watchdog so that it is announced and retried"
            ),
        )
        failed.append(run.run_id)
    return failed


ENDED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _worker_gone(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether no process runs the run any more: its RUN_START worker is dead, or it never logged one."""
    starts = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    event = starts[-1].dagster_event if starts else None
    return event is None or not event.pid or not worker_alive(event.pid, starts[-1].timestamp)


def free_slots_of_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Free the pool slots (claimed, or waited for) of each ended run whose worker is gone; returns their run ids."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    holders = storage.get_concurrency_run_ids()  # runs holding or waiting for a slot
    if not holders:
        return []
    freed = []
    for run in instance.get_runs(filters=dg.RunsFilter(run_ids=sorted(holders), statuses=list(ENDED))):
        if _worker_gone(instance, run.run_id):
            storage.free_concurrency_slots_for_run(run.run_id)
            freed.append(run.run_id)
    return freed


def build_run_worker_watchdog(
    interval_seconds: int = 15, starting_grace_seconds: float = STARTING_GRACE_SECONDS
) -> dg.SensorDefinition:
    @dg.sensor(
        name="run_worker_watchdog",
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Fails runs whose worker process died (default run launcher only), so that they are "
        "announced by notify_run_failures and retried by the instance's run retries, and frees the pool slots "
        "of ended runs whose worker is gone, so that other loads do not wait for them.",
    )
    def run_worker_watchdog(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        if not isinstance(context.instance.run_launcher, dg.DefaultRunLauncher):
            return dg.SkipReason("this run launcher reports dead run workers to run monitoring itself")
        failed = fail_runs_whose_worker_died(context.instance, starting_grace_seconds)
        if failed:
            context.log.warning(f"failed {len(failed)} run(s) whose worker died: {', '.join(failed)}")
        freed = free_slots_of_dead_runs(context.instance)
        if freed:
            context.log.warning(
                f"freed the pool slots of {len(freed)} ended run(s) whose worker is gone: {', '.join(freed)}"
            )
        return dg.SkipReason(
            (f"{len(failed)} run(s) with a dead worker failed" if failed else "every started run has a live worker")
            + (f"; freed the pool slots of {len(freed)} ended run(s)" if freed else "")
        )

    return run_worker_watchdog
