"""`order-pipeline run` (what `make run` starts) as a user runs it: its own endpoint and state folder, the code
server, webserver and daemon. A SIGKILLed daemon is started again and the landed orders all load; SIGTERM stops
every process it started and prints the landing audit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import psutil

from order_pipeline.commands.moto_server import endpoint_is_up, free_port
from order_pipeline.components.resources import warehouse_resource
from order_pipeline.config import load_settings
from order_pipeline.warehouse.base import WarehouseBusy
from order_pipeline_tests.support.dagster_deployment import wait_until


def daemons(process: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in process.children(recursive=True):
        try:
            if any("dagster-daemon" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_the_run_command_survives_a_killed_daemon_and_stops_everything_it_started(tmp_path):
    state, port, ui_port = tmp_path / "state", free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORDER_PIPELINE_", "DAGSTER_"))}
    env["ORDER_PIPELINE_SENSOR_INTERVAL_SECONDS"] = "5"
    log = tmp_path / "run.log"
    command = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "order_pipeline.cli",
            "run",
            "--state-dir",
            str(state),
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--count",
            "300",
            "--days",
            "2",
        ],
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started: list[psutil.Process] = []
    try:
        wait_until(lambda: command.poll() is not None or "Dagster UI:" in log.read_text(), 300, "the UI is up")
        assert command.poll() is None, log.read_text()
        landed = int(re.search(r"landed (\d+) order files", log.read_text())[1])
        started = psutil.Process(command.pid).children(recursive=True)
        (daemon,) = wait_until(lambda: daemons(psutil.Process(command.pid)), 60, "the daemon runs")
        daemon.kill()  # SIGKILL
        wait_until(lambda: [d for d in daemons(psutil.Process(command.pid)) if d.pid != daemon.pid], 60, "a new daemon")
        assert "the Dagster daemon exited with code -9; starting it again" in log.read_text()

        settings = load_settings({"ORDER_PIPELINE_STATE_DIR": str(state)})

        def loaded() -> bool:
            try:
                db = warehouse_resource(settings).process_config_and_initialize().open(None, wait_seconds=2)
            except WarehouseBusy:
                return False
            try:
                tables = db.query("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'file_ledger'")
                return tables[0][0] and db.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == landed
            finally:
                db.close()

        wait_until(loaded, 600, f"{landed} files in the ledger")
        started = psutil.Process(command.pid).children(recursive=True)
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=300) == 0, log.read_text()[-3000:]
        out = log.read_text()
        assert re.search(rf"landing: {landed} files landed in \d+ landing dates: {landed} loaded; 0 not loaded", out)
        assert not endpoint_is_up(f"http://127.0.0.1:{port}")
        assert not [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], out[-2000:]
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
        for process in started:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
