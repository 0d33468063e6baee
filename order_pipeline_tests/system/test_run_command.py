"""`order-pipeline run` (what `make run` starts) as a user runs it: its own endpoint and state folder, the code
server, webserver and daemon. A SIGKILLed daemon is started again and the landed orders all load; SIGTERM stops
every process it started and prints the landing audit — and so does any stop signal, any number of times, to
`make run`'s whole process group or from a person's Ctrl-C in a terminal."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

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


REPO = Path(__file__).resolve().parents[2]
# What every stop ends with: the landed files compared with the ledger, then what was stopped
REPORT = re.compile(r"landing: (\d+) files landed in \d+ landing dates: ")
STOPPED = "stopped the Dagster UI and the local endpoint"


def user_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORDER_PIPELINE_", "DAGSTER_", "MAKE"))}
    env["ORDER_PIPELINE_SENSOR_INTERVAL_SECONDS"] = "5"
    return env


def make_run_args(state: Path, port: int, ui_port: int) -> str:
    return f"--state-dir {state} --port {port} --ui-port {ui_port} --count 300 --days 2"


def program_and_children(ui_port: int) -> list[psutil.Process]:
    """The `order-pipeline run` process of this UI port and everything it started (endpoint, code server,
    webserver, daemon: each in a session of its own, out of reach of the terminal's and the group's signals)."""
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if any(part.endswith("order-pipeline") for part in command) and str(ui_port) in command:
            return [process, *process.children(recursive=True)]
    return []


def assert_everything_stopped(processes: list[psutil.Process], port: int, ui_port: int, out: str) -> None:
    assert len(processes) >= 5, processes  # the program, its endpoint, code server, webserver and daemon
    deadline = time.monotonic() + 30  # the endpoint is sent SIGTERM last, and not waited for
    while (alive := [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)
    assert not alive, (alive, out[-3000:])
    assert not endpoint_is_up(f"http://127.0.0.1:{port}")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", ui_port)) != 0  # the webserver is gone


def kill_leftovers(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass


def test_sigterm_to_make_runs_process_group_and_more_signals_end_in_the_same_orderly_shutdown(tmp_path):
    """(Issue 25, item 1: `kill -TERM -- -<pgid>` of a `make run`: GNU make passes the SIGTERM on, so the program
    got it twice; the second raised KeyboardInterrupt inside stop_all — traceback, no landed-vs-ledger report, and
    the endpoint, code server and webserver, in sessions of their own, stayed up.) Here four more signals of every
    kind follow while it stops."""
    state, port, ui_port = tmp_path / "state", free_port(), free_port()
    log = tmp_path / "make.log"
    make = subprocess.Popen(
        ["make", "-C", str(REPO), "run", f"ARGS={make_run_args(state, port, ui_port)}"],
        env=user_env(),
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a service manager or a container gives it
    )
    processes: list[psutil.Process] = []
    try:
        wait_until(lambda: make.poll() is not None or "Dagster UI:" in log.read_text(), 300, "the UI is up")
        assert make.poll() is None, log.read_text()
        landed = int(re.search(r"landed (\d+) order files", log.read_text())[1])
        processes = program_and_children(ui_port)
        program = processes[0]

        os.killpg(make.pid, signal.SIGTERM)  # the whole group: make, which passes it on, and the program
        time.sleep(0.5)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGTERM):  # while it stops
            if program.is_running():
                program.send_signal(sig)
            time.sleep(0.2)
        make.wait(timeout=300)
        out = log.read_text()
        assert "Traceback" not in out, out[-3000:]
        report = REPORT.search(out)
        assert report and int(report[1]) == landed, out[-3000:]
        assert STOPPED in out, out[-3000:]
        ignored = re.search(r"stopped on SIGTERM; (\d+) more signal\(s\) while stopping, ignored", out)
        assert ignored and int(ignored[1]) >= 4, out[-3000:]  # make's own SIGTERM among them, most likely
        assert_everything_stopped(processes, port, ui_port, out)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        kill_leftovers(processes)


def test_ctrl_c_twice_in_a_terminal_ends_make_run_the_same_orderly_way(tmp_path):
    """A person in a terminal (tmux): `make run`, then Ctrl-C, and Ctrl-C again while it stops."""
    state, port, ui_port = tmp_path / "state", free_port(), free_port()
    tmux = ["tmux", "-L", f"order-pipeline-test-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "run", "-x", "250", "-y", "50", "bash --norc --noprofile -i"],
        env=user_env(),
        check=True,
    )

    def tmux_out(*args: str) -> str:
        return subprocess.run([*tmux, *args], capture_output=True, text=True, check=True).stdout

    def screen() -> str:
        return tmux_out("capture-pane", "-p", "-J", "-S", "-", "-t", "run")

    def at_the_prompt() -> bool:  # the terminal's foreground process is the shell again
        return tmux_out("display-message", "-p", "-t", "run", "#{pane_current_command}").strip() == "bash"

    processes: list[psutil.Process] = []
    try:
        args = shlex.quote(f"ARGS={make_run_args(state, port, ui_port)}")
        subprocess.run([*tmux, "send-keys", "-t", "run", f"make -C {REPO} run {args}", "Enter"], check=True)
        wait_until(lambda: not at_the_prompt(), 30, "make run started")
        wait_until(lambda: "Dagster UI:" in screen() or at_the_prompt(), 300, "the UI is up")
        landed = int(re.search(r"landed (\d+) order files", screen())[1])
        processes = program_and_children(ui_port)

        subprocess.run([*tmux, "send-keys", "-t", "run", "C-c"], check=True)
        time.sleep(0.5)
        subprocess.run([*tmux, "send-keys", "-t", "run", "C-c"], check=True)  # impatient
        wait_until(at_the_prompt, 300, "make run ended and the shell prompts again")
        out = screen()
        assert "Traceback" not in out, out
        report = REPORT.search(out)
        assert report and int(report[1]) == landed, out
        assert STOPPED in out and "stopped on SIGINT; 1 more signal(s) while stopping, ignored" in out, out
        assert_everything_stopped(processes, port, ui_port, out)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
        kill_leftovers(processes)
