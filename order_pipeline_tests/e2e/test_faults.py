"""Faults through the real sensor and runs: S3 down during a tick, the warehouse failing mid-load, and the run
process killed mid-load. Each ends with every file loaded exactly once.

The warehouse test double subclasses the real DuckDB resource and backend and changes one thing: a hook at the
backend's own `after_stage` point (staged, not committed) that fails or kills the process once, while a marker
file exists.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from order_pipeline.commands.moto_server import free_port
from order_pipeline_tests.support.faults import faulty_definitions, run_killed
from order_pipeline_tests.support.scenarios import counts, land_day

TODAY = datetime.now(timezone.utc).date()
REPO = Path(__file__).resolve().parents[2]


def ledger_rows_per_key(pipeline) -> dict[str, int]:
    return dict(pipeline.query('SELECT key, COUNT(*) FROM "file_ledger" GROUP BY key'))


def test_s3_down_during_a_tick_fails_it_and_keeps_the_cursor(pipeline, monkeypatch):
    land_day(pipeline, TODAY - timedelta(days=2), "EARLY", (11,))
    first = pipeline.tick()
    assert len(first.runs) == 1 and not first.failed_runs
    cursor = pipeline.cursor
    assert cursor is not None
    late_keys = land_day(pipeline, TODAY - timedelta(days=1), "LATE", (13, 7))
    runs_before = len(pipeline.instance.get_runs())

    with monkeypatch.context() as patched:
        patched.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
        with pytest.raises(Exception, match="(?i)connect"):
            pipeline.tick()
    assert pipeline.cursor == cursor
    assert len(pipeline.instance.get_runs()) == runs_before
    assert counts(pipeline) == (11, 11, 1)

    recovered = pipeline.tick()
    assert recovered.partitions == [(TODAY - timedelta(days=1)).isoformat()]
    assert not recovered.failed_runs
    assert counts(pipeline) == (31, 31, 3)
    assert all(ledger_rows_per_key(pipeline)[key] == 1 for key in late_keys)
    assert pipeline.tick().runs == []


def test_warehouse_failing_mid_load_rolls_back_and_the_retry_loads_once(pipeline, tmp_path, monkeypatch):
    land_day(pipeline, TODAY - timedelta(days=2), "BASE", (9,))
    assert not pipeline.tick().failed_runs
    assert counts(pipeline) == (9, 9, 1)
    pipeline.notifications()  # drop the first load's messages

    keys = land_day(pipeline, TODAY - timedelta(days=1), "FLAKY", (12, 8))
    marker, observations = tmp_path / "fail-once", tmp_path / "observations.jsonl"
    marker.touch()
    monkeypatch.setattr(pipeline, "defs", lambda: faulty_definitions("raise", marker, observations))
    outcome = pipeline.tick()

    assert not marker.exists()  # the fault fired
    (run,) = outcome.runs
    assert run.success
    retries = [e for e in run.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["warehouse_orders"]
    assert "injected" in retries[0].event_specific_data.error.to_string()
    # the retry started from the state before the failed attempt: the rollback left no row and no ledger entry
    assert [json.loads(line) for line in observations.read_text().splitlines()] == [{"orders": 9, "ledger": 1}]
    assert counts(pipeline) == (29, 29, 3)
    assert all(ledger_rows_per_key(pipeline)[key] == 1 for key in keys)
    loaded = [m for m in pipeline.notifications() if m["event_type"] == "partition_loaded"]
    assert len(loaded) == 1 and loaded[0]["rows_inserted"] == 20

    monkeypatch.undo()
    assert pipeline.tick().runs == []
    assert counts(pipeline) == (29, 29, 3)


def test_run_process_killed_mid_load_then_the_partition_loads_exactly_once(pipeline, tmp_path):
    day = TODAY - timedelta(days=1)
    keys = land_day(pipeline, day, "KILL", (15, 6, 4))
    marker = tmp_path / "kill-once"
    marker.touch()
    killed = run_killed("kill_after_stage_definitions", str(marker), day.isoformat(), timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert not marker.exists()
    # the killed transaction left nothing: no rows, no ledger entry (the tables themselves were created)
    assert counts(pipeline) == (0, 0, 0)

    outcome = pipeline.tick()
    assert outcome.partitions == [day.isoformat()] and not outcome.failed_runs
    assert counts(pipeline) == (25, 25, 3)
    assert ledger_rows_per_key(pipeline) == {key: 1 for key in keys}
    items = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT (order_id, line_number)) FROM "order_items"')[0]
    assert items[0] == items[1] > 0
    assert pipeline.tick().runs == []


def test_a_load_that_keeps_killing_its_process_ends_dead_lettered_and_the_others_load(pipeline, tmp_path):
    """A load that kills its process cannot be caught; after a load is cut short its files are loaded one at a
    time, and the one cut short three times is dead-lettered instead of being tried forever."""
    day = TODAY - timedelta(days=1)
    keys = land_day(pipeline, day, "DOOM", (5, 6, 7))
    marker = tmp_path / "kill-once"
    for _ in range(3):
        marker.touch()
        killed = run_killed("kill_after_stage_definitions", str(marker), day.isoformat(), timeout=120)
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert counts(pipeline) == (0, 0, 0)

    outcome = pipeline.tick()
    assert outcome.partitions == [day.isoformat()] and not outcome.failed_runs
    statuses = dict(pipeline.query('SELECT key, status FROM "file_ledger"'))
    assert sorted(statuses.values()) == ["dead_letter", "loaded", "loaded"] and set(statuses) == set(keys)
    doomed = next(key for key, status in statuses.items() if status == "dead_letter")
    error = pipeline.query(f"SELECT error FROM \"file_ledger\" WHERE key = '{doomed}'")[0][0]
    assert "did not complete in 3 attempts" in error
    assert counts(pipeline)[0] == 18 - dict(zip(keys, (5, 6, 7), strict=True))[doomed]
    assert pipeline.tick().runs == []
