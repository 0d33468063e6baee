"""`order-pipeline local up|down` (and `run`) as a user runs them, next to servers they did not start.

(Issue 25, item 2: `local up` adopted whatever answered on its port — another user's or another checkout's
endpoint — and provisioned it silently.) Our endpoint is the process in the state folder's pid file, a moto
server for the port, listening on it; anything else on the port is refused with a message naming the port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import psutil
import pytest

from order_pipeline.commands.dagster_processes import stop_process
from order_pipeline.commands.moto_server import endpoint_is_up, free_port, start_moto_server


def command(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORDER_PIPELINE_", "DAGSTER_"))}
    return subprocess.run(
        [sys.executable, "-m", "order_pipeline.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def buckets(port: int) -> list[str]:
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="other",
        aws_secret_access_key="other",
    )
    return [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


@pytest.fixture
def foreign_endpoint(tmp_path):
    """A moto server on a free port that no state folder of the test started (another checkout's, say)."""
    port = free_port()
    server = start_moto_server("127.0.0.1", port, log_path=tmp_path / "foreign-moto.log")
    try:
        yield port, server
    finally:
        stop_process(server, timeout=10)


def test_local_up_and_run_refuse_a_port_answered_by_a_server_they_did_not_start(tmp_path, foreign_endpoint):
    port, server = foreign_endpoint
    state = tmp_path / "state"

    up = command("local", "up", "--state-dir", str(state), "--port", str(port))
    assert up.returncode == 1, up.stdout + up.stderr
    assert f"port {port} on 127.0.0.1 is answered by a server that {state} did not start" in up.stderr
    assert buckets(port) == []  # nothing provisioned on someone else's server
    assert not (state / "moto.pid").exists()

    run = command("run", "--state-dir", str(state), "--port", str(port), "--ui-port", str(free_port()), "--count", "10")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"port {port} on 127.0.0.1 is answered by a server that {state} did not start" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert server.poll() is None and buckets(port) == []  # left running, untouched


def test_local_up_adopts_its_own_endpoint_only_and_down_stops_only_what_it_started(tmp_path):
    port, state, other_state = free_port(), tmp_path / "state", tmp_path / "other-checkout"
    first = command("local", "up", "--state-dir", str(state), "--port", str(port))
    assert first.returncode == 0, first.stdout + first.stderr
    pid = int((state / "moto.pid").read_text())
    try:
        again = command("local", "up", "--state-dir", str(state), "--port", str(port))
        assert again.returncode == 0, again.stdout + again.stderr  # its own endpoint, found running
        assert int((state / "moto.pid").read_text()) == pid and psutil.pid_exists(pid)

        other = command("local", "up", "--state-dir", str(other_state), "--port", str(port))
        assert other.returncode == 1 and f"port {port} on 127.0.0.1" in other.stderr, other.stdout + other.stderr
        assert command("local", "down", "--state-dir", str(other_state), "--port", str(port)).stdout.strip() == (
            "nothing to stop"
        )
        assert endpoint_is_up(f"http://127.0.0.1:{port}")  # the other state folder stopped nothing of ours

        down = command("local", "down", "--state-dir", str(state), "--port", str(port))
        assert down.stdout.strip() == "stopped"
        psutil.Process(pid).wait(timeout=30)
        assert not endpoint_is_up(f"http://127.0.0.1:{port}")
    finally:
        if psutil.pid_exists(pid):
            os.killpg(pid, signal.SIGKILL)


def test_local_down_leaves_alone_a_process_that_reused_the_recorded_id(tmp_path):
    """A pid file left behind (the endpoint ended, the machine rebooted) may name another process now."""
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        state = tmp_path / "state"
        state.mkdir()
        Path(state / "moto.pid").write_text(str(unrelated.pid))
        down = command("local", "down", "--state-dir", str(state), "--port", str(free_port()))
        assert down.stdout.strip() == "nothing to stop", down.stdout + down.stderr
        assert unrelated.poll() is None  # not killed
        assert not (state / "moto.pid").exists()
    finally:
        unrelated.kill()
        unrelated.wait()
