"""Run every benchmarks/bench_*.py, even when one misses a target or fails, and summarise at the end.

Each benchmark prints its figures and PASS/MISSED lines and exits non-zero when a target is missed (or it
crashes). This runner keeps going, then prints one line per benchmark (status, exit code, wall time, the
MISSED lines it printed) and exits 1 if any benchmark did not pass. Arguments after the script name are
passed to every benchmark only with --args, e.g. `run_benchmarks.py --only bench_convert --args "--rows 1000"`.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@dataclass(frozen=True)
class Outcome:
    name: str
    code: int
    seconds: float
    missed: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.code == 0:
            return "PASS"
        return "MISSED" if self.missed else "FAILED"


def discover(folder: Path = BENCHMARKS, only: list[str] | None = None) -> list[Path]:
    """Every bench_*.py of the folder, by name; `only` keeps those whose stem is listed."""
    found = sorted(folder.glob("bench_*.py"))
    return [path for path in found if not only or path.stem in only]


def run_one(path: Path, extra: list[str]) -> Outcome:
    """Run one benchmark, streaming its output, and keep the lines that report a missed target."""
    print(f"\n===== {path.name} =====", flush=True)
    started = time.monotonic()
    missed: list[str] = []
    with subprocess.Popen(
        [sys.executable, str(path), *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if "MISSED" in line or line.startswith("FAIL"):
                missed.append(line.strip())
    return Outcome(path.stem, process.returncode, time.monotonic() - started, tuple(missed))


def summary(outcomes: list[Outcome]) -> str:
    lines = ["", "===== benchmark summary =====", f"{'benchmark':24} {'status':7} {'exit':>4} {'seconds':>8}"]
    for outcome in outcomes:
        lines.append(f"{outcome.name:24} {outcome.status:7} {outcome.code:>4} {outcome.seconds:8.1f}")
        lines += [f"    {line}" for line in outcome.missed]
    passed = sum(outcome.code == 0 for outcome in outcomes)
    lines.append(f"{passed} of {len(outcomes)} benchmarks passed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark stems to run (default: every bench_*.py)")
    parser.add_argument("--args", default="", help="arguments passed to each benchmark (e.g. a reduced scale)")
    args = parser.parse_args(argv)
    benches = discover(only=args.only)
    if not benches:
        print("no benchmarks found", file=sys.stderr)
        return 1
    outcomes = [run_one(path, shlex.split(args.args)) for path in benches]
    print(summary(outcomes))
    return 0 if all(outcome.code == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
