"""Process measuring shared by the benchmarks: peak RSS of a child process, a child script's last line, the peak RSS
of every process under a root by role, the machine's load. Not a benchmark itself (`make bench` runs bench_*.py).

Peak RSS is /proc's VmHWM: it starts afresh at exec, whereas ru_maxrss of a forked child keeps the parent's peak.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import defaultdict

# Source of `peak_mb()` for a child script (prepend it): the child's own peak RSS in MB. The dlt peer's script runs
# in another interpreter (its own venv), so this is text, not an import.
PEAK_MB_SOURCE = """
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
"""


def run_child(
    code: str, *args: str, env: dict[str, str] | None = None, python: str = sys.executable, cwd: str | None = None
) -> str:
    """Run `code` in a fresh interpreter (`python`, another venv's for a peer); its last line of output (a child
    reports there). Raises with the end of its stderr when it fails."""
    done = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for the figures' context."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


class TreeMemory:
    """Peak RSS of every process under a root process, by role, sampled a few times a second."""

    ROLES = (
        ("spawn_main", "run worker"),
        ("execute_run", "run worker"),
        ("execute_step", "step worker"),
        ("api grpc", "code server"),
        ("code-server", "code server proxy"),
        ("_daemon", "daemon"),
        ("dagster-daemon", "daemon"),
        ("webserver", "webserver"),
        ("dagster dev", "dagster dev"),
        ("resource_tracker", "multiprocessing tracker"),
    )

    def __init__(self, root: int) -> None:
        import psutil

        self._root = psutil.Process(root)
        self.peaks: dict[str, float] = defaultdict(float)
        self.examples: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @classmethod
    def role(cls, cmdline: str) -> str:
        return next((role for needle, role in cls.ROLES if needle in cmdline), "other")

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                for process in [self._root, *self._root.children(recursive=True)]:
                    try:
                        cmdline = " ".join(process.cmdline())
                        role = self.role(cmdline)
                        self.peaks[role] = max(self.peaks[role], process.memory_info().rss / 2**20)
                        self.examples.setdefault(role, cmdline[:160])
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            time.sleep(0.2)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(timeout=5)
        return dict(self.peaks)
