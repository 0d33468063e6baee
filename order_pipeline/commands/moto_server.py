"""Start and stop a local S3/SNS/SQS endpoint (moto's server) as a child process on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


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


def start_moto_server(host: str, port: int, log_path: Path | None = None, timeout: float = 30.0) -> subprocess.Popen:
    """Start `moto_server` on host:port and wait until it answers. Raises if it does not come up."""
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    command = (
        [executable, "-H", host, "-p", str(port)]
        if executable
        else [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)]
    )
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
