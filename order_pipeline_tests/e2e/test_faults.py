"""Faults through the real sensor and runs: S3 down during a tick, the warehouse failing mid-load, and the run
process killed mid-load. Each ends with every file loaded exactly once.

The warehouse test double subclasses the real DuckDB resource and backend and changes one thing: a hook at the
backend's own `after_stage` point (staged, not committed) that fails or kills the process once, while a marker
file exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest

from order_pipeline.commands.moto_server import free_port
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import build_resources
from order_pipeline.components.warehouse_resource import DuckDBWarehouseResource
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.warehouse.base import LoadBatch, LoadResult, Warehouse
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline_tests.support.pipeline_harness import local_pipeline

pytestmark = pytest.mark.e2e
TODAY = datetime.now(timezone.utc).date()
REPO = Path(__file__).resolve().parents[2]


class FaultyDuckDBWarehouse(DuckDBWarehouse):
    """The real DuckDB backend; while `marker` exists, the first load fails (or kills its process) after staging."""

    def __init__(self, path: str, s3_client: Any, *, fault: str, marker: str, observations: str) -> None:
        super().__init__(path, s3_client)
        self._fault, self._marker, self._observations = fault, Path(marker), observations

    def load_batch(self, batch: LoadBatch, *, after_stage=None) -> LoadResult:
        if not self._marker.exists() and self._observations:
            # what a load after the fault starts from: the failed transaction must have left nothing behind
            seen = {"orders": self.query('SELECT COUNT(*) FROM "orders"')[0][0],
                    "ledger": self.query('SELECT COUNT(*) FROM "file_ledger"')[0][0]}
            with open(self._observations, "a") as out:
                out.write(json.dumps(seen) + "\n")

        def hook() -> None:
            if after_stage is not None:
                after_stage()
            if self._marker.exists():
                self._marker.unlink()
                if self._fault == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                raise ConnectionResetError("warehouse connection reset mid-load (injected)")

        return super().load_batch(batch, after_stage=hook)


class FaultyDuckDBResource(DuckDBWarehouseResource):
    fault: str
    marker: str
    observations: str = ""

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        return FaultyDuckDBWarehouse(self.path, s3_client, fault=self.fault, marker=self.marker,
                                     observations=self.observations)


def faulty_definitions(fault: str, marker: Path, observations: Path | None = None) -> dg.Definitions:
    settings = load_settings()
    resources = build_resources(settings)
    resources["warehouse"] = FaultyDuckDBResource(path=str(settings.duckdb_path), fault=fault, marker=str(marker),
                                                  observations=str(observations or ""))
    return build_definitions(settings, resources=resources)


def land_day(pipeline, day, prefix: str, sizes: tuple[int, ...]) -> list[str]:
    keys = []
    for n, size in enumerate(sizes, start=1):
        orders = generate_orders(size, seed=n, start_date=day, id_prefix=f"{prefix}{n}")
        key = f"{pipeline.settings.landing_root('orders')}{day:%Y/%m/%d}/{prefix.lower()}-{n}.jsonl"
        pipeline.land(key, b"".join(orjson.dumps(o) + b"\n" for o in orders))
        keys.append(key)
    return keys


def counts(pipeline) -> tuple[int, int, int]:
    orders, distinct = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0]
    return orders, distinct, pipeline.query('SELECT COUNT(*) FROM "file_ledger"')[0][0]


def ledger_rows_per_key(pipeline) -> dict[str, int]:
    return dict(pipeline.query('SELECT key, COUNT(*) FROM "file_ledger" GROUP BY key'))


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path):
    with local_pipeline(aws_endpoint, bucket, tmp_path) as running:
        yield running


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


KILLED_RUN = textwrap.dedent("""
    import sys
    import dagster as dg
    from order_pipeline.components.keys import job_name
    from order_pipeline.datasets.orders import ORDERS
    from order_pipeline_tests.e2e.test_faults import faulty_definitions

    defs = faulty_definitions("kill", sys.argv[1])
    with dg.instance_for_test() as instance:
        defs.resolve_job_def(job_name(ORDERS)).execute_in_process(instance=instance, partition_key=sys.argv[2])
    print("the run finished: it should have been killed")
""")


def test_run_process_killed_mid_load_then_the_partition_loads_exactly_once(pipeline, tmp_path):
    day = TODAY - timedelta(days=1)
    keys = land_day(pipeline, day, "KILL", (15, 6, 4))
    marker = tmp_path / "kill-once"
    marker.touch()
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(marker), day.isoformat()], cwd=REPO,
                            env=dict(os.environ), capture_output=True, text=True, timeout=120)
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
        killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(marker), day.isoformat()], cwd=REPO,
                                env=dict(os.environ), capture_output=True, text=True, timeout=120)
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
