"""Start and stop a local S3/SNS/SQS endpoint (moto's server) as a child process on loopback."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from order_pipeline.commands.signals import held_signals


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def endpoint_is_up(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/moto-api/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except OSError:
        return False


def port_accepts(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether anything accepts connections on host:port (a server of any kind)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


LOCAL_EXTRA_HINT = "the local endpoint needs moto's server: pip install 'order_pipeline[local]'"


def moto_server_command(host: str, port: int) -> list[str]:
    """How to start moto's server; raises, naming the `local` extra, when moto is not installed."""
    if importlib.util.find_spec("moto") is None:
        raise RuntimeError(LOCAL_EXTRA_HINT)
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if executable:
        return [executable, "-H", host, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)]


def is_moto_server(pid: int, port: int) -> bool:
    """Whether process `pid` is a moto server started for `port` (by its command line: a recorded pid that another
    process reuses after a reboot, say, is not one)."""
    try:
        command = psutil.Process(pid).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return any("moto" in part for part in command) and any(
        a == "-p" and b == str(port) for a, b in zip(command, command[1:], strict=False)
    )


def listens_on(pid: int, port: int) -> bool:
    """Whether process `pid` is the one listening on `port` (the server that answers there)."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections)


def start_moto_server(
    host: str, port: int, log_path: Path | None = None, timeout: float = 30.0, *, pid_file: Path | None = None
) -> subprocess.Popen:
    """Start `moto_server` on host:port and wait until it answers. Raises if it does not come up. With `pid_file`,
    the process id is recorded there as soon as the process exists (an interrupted start can still be stopped)."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    with held_signals():  # started and recorded, or neither
        process = subprocess.Popen(
            moto_server_command(host, port), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if pid_file is not None:
            pid_file.write_text(str(process.pid))
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode} (log: {log_path})")
        if endpoint_is_up(url):
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"moto_server did not answer on {url} within {timeout:.0f}s (log: {log_path})")
