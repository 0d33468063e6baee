"""The README's headless demo, as a user runs it: its own local endpoint and state folder, twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from order_pipeline.aws.moto_server import endpoint_is_up, free_port

pytestmark = pytest.mark.e2e


def demo(state_dir, port: int) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORDER_PIPELINE_", "DAGSTER_"))}
    done = subprocess.run(
        [sys.executable, "-m", "order_pipeline.cli", "demo", "--state-dir", str(state_dir), "--port", str(port),
         "--count", "120", "--days", "2"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout.strip().splitlines()[-1]


def test_demo_loads_everything_then_finds_nothing_new(tmp_path):
    port = free_port()
    first = demo(tmp_path / "state", port)
    match = re.search(r"-> (\d+) runs \(0 failed\); warehouse holds (\d+) orders and (\d+) order items", first)
    assert match, first
    runs, orders, items = map(int, match.groups())
    assert runs >= 2 and orders == 120 and items >= orders
    assert not endpoint_is_up(f"http://127.0.0.1:{port}")  # the demo stopped the endpoint it started
    assert (tmp_path / "state" / "warehouse.duckdb").exists()

    second = demo(tmp_path / "state", port)  # a restart resumes: cursor and ledger survive in the state folder
    assert "0 new files in 0 partitions" in second and f"holds {orders} orders" in second, second
