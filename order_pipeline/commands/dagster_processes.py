"""The processes of a Dagster deployment, started as a deployment runs them: the code location's server (the
command deploy/Dockerfile runs), the webserver and the daemon, each reaching the code server over gRPC.

Runs execute in processes of the code server, not of the daemon: a daemon that dies and is started again on the
same DAGSTER_HOME finds its runs still going (`order-pipeline run` restarts it; `dagster dev` would stop
everything). Each process gets its own session, so stopping one stops exactly what it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from order_pipeline.commands.signals import held_signals

LOCATION_NAME = "order_pipeline"  # the code location's name everywhere (pyproject's [tool.dg.project])
DEFINITIONS_MODULE = "order_pipeline.definitions"


def _executable(name: str) -> str:
    """A console script of this Python environment (what a deployment image has on its PATH)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in {Path(sys.executable).parent}")
    return found


def code_server_command(host: str, port: int) -> list[str]:
    return [
        _executable("dagster"),
        "code-server",
        "start",
        "-h",
        host,
        "-p",
        str(port),
        "-m",
        DEFINITIONS_MODULE,
        "--location-name",
        LOCATION_NAME,
    ]


def stop_process(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM the process's group (everything it started), then SIGKILL what is left after `timeout`."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # the leader may be gone while members of its group live on
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.poll()


@dataclass
class DagsterProcesses:
    """Code server, webserver and daemon of one DAGSTER_HOME, with their logs in `log_dir`."""

    home: Path
    env: Mapping[str, str]
    log_dir: Path
    host: str = "127.0.0.1"
    ui_port: int = 3000
    code_port: int = 4000
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    def write_workspace(self) -> Path:
        """The workspace of the webserver and the daemon: the code server, over gRPC."""
        path = self.home / "workspace.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "load_from": [
                        {"grpc_server": {"host": self.host, "port": self.code_port, "location_name": LOCATION_NAME}}
                    ]
                }
            )
        )
        return path

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{name}.log", "ab") as log, held_signals():  # started and recorded, or neither
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **self.env, "DAGSTER_HOME": str(self.home.resolve())},
            )
            self.processes[name] = process
        return process

    def start_code_server(self, timeout: float = 180.0) -> subprocess.Popen:
        process = self._start("code-server", code_server_command(self.host, self.code_port))
        self._wait(process, "code-server", timeout, self._code_server_answers)
        return process

    def start_webserver(self, timeout: float = 180.0) -> subprocess.Popen:
        process = self._start(
            "webserver",
            [
                _executable("dagster-webserver"),
                "-w",
                str(self.write_workspace()),
                "-h",
                self.host,
                "-p",
                str(self.ui_port),
            ],
        )
        self._wait(process, "webserver", timeout, self._webserver_answers)
        return process

    def start_daemon(self) -> subprocess.Popen:
        return self._start("daemon", [_executable("dagster-daemon"), "run", "-w", str(self.write_workspace())])

    def start(self) -> None:
        self.start_code_server()
        self.start_webserver()
        self.start_daemon()

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop_process(process)

    def stop_all(self) -> None:
        for name in ("daemon", "webserver", "code-server"):  # the daemon first: it launches no more runs
            self.stop(name)

    def exited(self) -> dict[str, int]:
        """The processes that ended on their own, with their exit codes."""
        return {name: code for name, process in self.processes.items() if (code := process.poll()) is not None}

    def _code_server_answers(self) -> bool:
        check = subprocess.run(
            [_executable("dagster"), "api", "grpc-health-check", "-h", self.host, "-p", str(self.code_port)],
            capture_output=True,
            timeout=60,
        )
        return check.returncode == 0

    def _webserver_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.ui_url}/server_info", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _wait(self, process: subprocess.Popen, name: str, timeout: float, ready) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}; see {self.log_dir}/{name}.log")
            if ready():
                return
            time.sleep(1.0)
        raise RuntimeError(f"{name} did not answer within {timeout:.0f}s; see {self.log_dir}/{name}.log")
