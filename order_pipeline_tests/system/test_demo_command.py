"""The README's headless demo, as a user runs it: its own local endpoint and state folder, twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from order_pipeline.commands.moto_server import endpoint_is_up, free_port


def demo(state_dir, port: int, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORDER_PIPELINE_", "DAGSTER_"))},
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "order_pipeline.cli", "demo", "--state-dir", str(state_dir), "--port", str(port), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr[-3000:]


def test_demo_over_six_days_loads_every_landed_file_and_order_then_finds_nothing_new(tmp_path):
    """The demo once loaded 7 of 13 files (1,600 of 3,000 orders) and reported success: dates outside the
    sensor's window were never seen. Now every landed file is in the ledger, and the summary says so."""
    port = free_port()
    code, out = demo(tmp_path / "state", port, "--count", "3000", "--days", "6", "--files", "2")
    assert code == 0, out
    landing = re.search(r"landing: (\d+) files landed in (\d+) landing dates: (\d+) loaded; 0 not loaded", out)
    assert landing, out
    landed, dates, loaded = map(int, landing.groups())
    assert landed == loaded >= 12 and dates >= 6
    summary = re.search(r"-> (\d+) runs \(0 failed\); warehouse holds (\d+) orders \((\d+) generated\)", out)
    assert summary, out
    assert int(summary[2]) == int(summary[3]) == 3000
    assert not endpoint_is_up(f"http://127.0.0.1:{port}")  # the demo stopped the endpoint it started
    assert (tmp_path / "state" / "warehouse.duckdb").exists()

    code, again = demo(tmp_path / "state", port, "--count", "3000", "--days", "6", "--files", "2")
    assert code == 0, again  # a restart resumes: cursor and ledger survive in the state folder
    assert "0 new files in 0 partitions" in again and "holds 3000 orders" in again, again
    assert f"{landed} files landed in {dates} landing dates: {loaded} loaded; 0 not loaded" in again


def test_a_duckdb_path_in_a_folder_that_does_not_exist_yet_is_created_and_loaded(tmp_path):
    """(Issue 25, item 15: every run failed with DuckDB's IOException, and the sensor warned that it could not read
    the ledger, when ORDER_PIPELINE_DUCKDB_PATH or ORDER_PIPELINE_STATE_DIR named a folder not created yet.)"""
    warehouse = tmp_path / "new" / "nested" / "warehouse.duckdb"
    code, out = demo(
        tmp_path / "state",
        free_port(),
        "--count",
        "300",
        "--days",
        "2",
        env={"ORDER_PIPELINE_DUCKDB_PATH": str(warehouse)},
    )
    assert code == 0, out
    assert re.search(r"landing: (\d+) files landed in \d+ landing dates: \1 loaded; 0 not loaded", out), out
    assert "(0 failed); warehouse holds 300 orders" in out and "cannot read the ledger" not in out, out
    assert warehouse.is_file() and not (tmp_path / "state" / "warehouse.duckdb").exists()
