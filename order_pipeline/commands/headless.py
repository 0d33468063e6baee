"""Drive the real sensor and real runs without the daemon: what `order-pipeline demo` and the tests use.

A tick evaluates the sensor definition exactly as the daemon would (same code, same cursor), records its
asset events, skips run keys the instance has already seen (the daemon's de-duplication), and executes
each requested partition run of the job in process. `RUN_KEY_TAG` is the tag the daemon itself de-duplicates
on (Dagster keeps its constant private; unit/test_headless_tags.py checks ours against it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from order_pipeline.landing.cursor import LandingCursor

RUN_KEY_TAG = "dagster/run_key"


@dataclass
class TickOutcome:
    cursor: str | None
    skip_reason: str | None = None
    runs: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)
    duplicate_run_keys: list[str] = field(default_factory=list)
    requests: list[dg.RunRequest] = field(default_factory=list)  # new run requests, executed or not

    @property
    def failed_runs(self) -> list[dg.ExecuteInProcessResult]:
        return [run for run in self.runs if not run.success]


def _run_key_seen(instance: dg.DagsterInstance, run_key: str) -> bool:
    return bool(instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1))


def request_tags(request: dg.RunRequest) -> dict[str, str]:
    """A requested run's tags as the daemon sets them, run key included."""
    tags = dict(request.tags)
    if request.run_key:
        tags[RUN_KEY_TAG] = request.run_key
    return tags


def run_sensor_tick(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    sensor_name: str,
    cursor: str | None,
    *,
    raise_on_run_error: bool = False,
    execute: bool = True,
) -> TickOutcome:
    """Evaluate one tick; with `execute=False` the new requests are returned but not run (a test then runs
    them elsewhere, e.g. in a process it kills)."""
    sensor = defs.resolve_sensor_def(sensor_name)
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=defs,
        sensor_name=sensor_name,
        resources=dict(defs.resources or {}),
    )
    data = sensor.evaluate_tick(context)
    outcome = TickOutcome(cursor=data.cursor if data.cursor is not None else cursor, skip_reason=data.skip_message)
    for event in data.asset_events:
        instance.report_runless_asset_event(event)
    if sensor.job_name is None:
        raise ValueError(f"sensor {sensor_name!r} targets no job: its run requests have nowhere to run")
    job = defs.resolve_job_def(sensor.job_name)
    for request in data.run_requests or ():
        if request.run_key and _run_key_seen(instance, request.run_key):
            outcome.duplicate_run_keys.append(request.run_key)
            continue
        outcome.requests.append(request)
        if not execute:
            continue
        result = job.execute_in_process(
            instance=instance,
            partition_key=request.partition_key,
            tags=request_tags(request),
            raise_on_error=raise_on_run_error,
        )
        outcome.runs.append(result)
        outcome.partitions.append(request.partition_key or "")
    return outcome


def drain(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    sensor_name: str,
    cursor: str | None = None,
    *,
    max_ticks: int = 20,
) -> tuple[str | None, list[TickOutcome]]:
    """Tick until a tick requests nothing new and the landing cursor holds no backlog and no unacknowledged
    messages; returns the final cursor and every tick's outcome."""
    ticks: list[TickOutcome] = []
    for _ in range(max_ticks):
        outcome = run_sensor_tick(defs, instance, sensor_name, cursor)
        ticks.append(outcome)
        cursor = outcome.cursor
        state = LandingCursor.from_json(cursor)
        if not outcome.runs and not state.backlog and not state.pending_acks:
            break
    return cursor, ticks
