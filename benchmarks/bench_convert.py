"""Benchmark convert_file against plain pyarrow, DuckDB's COPY and pandas on a generated JSON Lines file of orders.

    python benchmarks/bench_convert.py --orders 1000000 [--rounds 3] [--skip-pandas]

Each contender runs in its own subprocess, which reports its wall time and peak RSS. With several rounds the
contenders take turns in every round (so load on the machine falls on all of them alike) and each one's best
round counts. The baselines do no validation:
  - pyarrow: `pyarrow.json.read_json` + `pyarrow.parquet.write_table`;
  - DuckDB:  `COPY (SELECT * FROM read_json_auto(file)) TO 'out.parquet' (FORMAT parquet)`;
  - pandas:  `read_json(lines=True)` + `to_parquet`.
Targets: convert_file >= 1.0x pyarrow and >= 0.6x DuckDB COPY (same run), >= 150 MB/s, >= 9x pandas,
<= 500 MB peak RSS. Exits non-zero when a target is missed. CPU seconds (whole process, imports included) are
printed to tell a slower contender from a machine busy with other work.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from measure import load_average

TARGET_MB_S = 150.0
TARGET_VS_PYARROW = 1.0
TARGET_VS_DUCKDB = 0.6
TARGET_VS_PANDAS = 9.0
TARGET_RSS_MB = 500.0

OURS = "convert_file"
PYARROW = "pyarrow read_json+write_table"
DUCKDB = "duckdb COPY read_json_auto"
PANDAS = "pandas read_json+to_parquet"

_PRELUDE = """
import resource, sys, time
from pathlib import Path
source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
"""
# pandas is a dev extra (for the pandas baseline), not a dependency of the package. Where it is installed,
# pyarrow imports it on its first numpy -> Arrow conversion (~0.25 s, once per process), which convert_file
# makes and the baselines do not. By default the other contenders run as in a production install, where
# `import pandas` fails; --pandas-importable measures them with it.
_NO_PANDAS = """
import importlib.abc
class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r} (not installed in production)", name=name)
        return None
sys.meta_path.insert(0, _NoPandas())
"""
CONTENDERS = {
    PANDAS: """
import pandas as pd
start = time.perf_counter()
pd.read_json(source, lines=True).to_parquet(out / "orders.parquet")
""",
    PYARROW: """
import pyarrow.json as pj, pyarrow.parquet as pq
start = time.perf_counter()
pq.write_table(pj.read_json(source), out / "orders.parquet")
""",
    DUCKDB: """
import duckdb
start = time.perf_counter()
duckdb.sql(f"COPY (SELECT * FROM read_json_auto('{source}')) TO '{out / 'orders.parquet'}' (FORMAT parquet)")
""",
    OURS: """
import shutil
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
shutil.rmtree(out)  # the benchmark's own folder: convert_file refuses to overwrite an earlier round's outputs
out.mkdir()
start = time.perf_counter()
result = convert_file(ORDERS, source, out, source_name="s3://bench/" + source.name)
assert result.status == "converted", result.file_error
""",
}
# Peak RSS from /proc's VmHWM: it starts afresh at exec, whereas ru_maxrss of a forked child keeps the
# parent's peak (a large parent would be reported as the child's memory).
_REPORT = """
elapsed = time.perf_counter() - start
try:
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
usage = resource.getrusage(resource.RUSAGE_SELF)
print(elapsed, usage.ru_utime + usage.ru_stime, peak_kb / 1024)
"""


def generate(path: Path, orders: int) -> None:
    from order_pipeline.datasets.orders_generator import generate_orders, write_jsonl

    started = time.perf_counter()
    write_jsonl(generate_orders(orders, seed=7, start_date=date(2026, 11, 20), days=3), path)
    size = path.stat().st_size / 1e6
    print(f"generated {orders:,} orders, {size:.0f} MB in {time.perf_counter() - started:.0f}s")


def run(code: str, source: Path, out: Path, pandas: bool) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the whole process, peak RSS in MB) of one contender in a fresh interpreter;
    `pandas`: whether pandas can be imported."""
    prelude = _PRELUDE if pandas else _PRELUDE + _NO_PANDAS
    done = subprocess.run(
        [sys.executable, "-c", prelude + code + _REPORT, str(source), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, cpu, rss = done.stdout.split()[-3:]
    return float(seconds), float(cpu), float(rss)


def targets(results: dict[str, tuple[float, float]], megabytes: float) -> list[tuple[str, bool, str]]:
    """(label, passed, figure against its baseline) for every target whose contenders ran."""
    ours_seconds, ours_rss = results[OURS]
    ours_mb_s = megabytes / ours_seconds
    checks = [(f"throughput >= {TARGET_MB_S:.0f} MB/s", ours_mb_s >= TARGET_MB_S, f"{ours_mb_s:.0f} MB/s")]
    for name, target in ((PYARROW, TARGET_VS_PYARROW), (DUCKDB, TARGET_VS_DUCKDB)):
        if name in results:
            ratio = results[name][0] / ours_seconds
            checks.append(
                (
                    f"{OURS} >= {target:.1f}x {name.split()[0]}",
                    ratio >= target,
                    f"{ratio:.2f}x: {ours_mb_s:.0f} MB/s vs {megabytes / results[name][0]:.0f} MB/s",
                )
            )
    if PANDAS in results:
        pandas_seconds, pandas_rss = results[PANDAS]
        ratio = pandas_seconds / ours_seconds
        checks.append(
            (
                f"{OURS} >= {TARGET_VS_PANDAS:.0f}x pandas",
                ratio >= TARGET_VS_PANDAS,
                f"{ratio:.1f}x faster, {pandas_rss / ours_rss:.1f}x less memory",
            )
        )
    checks.append(
        (
            f"peak RSS <= {TARGET_RSS_MB:.0f} MB",
            ours_rss <= TARGET_RSS_MB,
            f"{ours_rss:.0f} MB (pyarrow {results[PYARROW][1]:.0f} MB)" if PYARROW in results else f"{ours_rss:.0f} MB",
        )
    )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(".bench"))
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every contender; the best of each counts")
    parser.add_argument("--skip-pandas", action="store_true", help="skip the (slow) pandas baseline")
    parser.add_argument(
        "--pandas-importable",
        action="store_true",
        help="let every contender import pandas (a dev extra; by default only the pandas baseline can)",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"orders-{args.orders}.jsonl"
    if not source.exists():
        generate(source, args.orders)
    megabytes = source.stat().st_size / 1e6
    print(f"input: {source} ({megabytes:.0f} MB), load average before: {load_average()}")
    if not args.pandas_importable:
        print("pandas (a dev extra) is not importable by the other contenders, as in a production install")
    names = [name for name in CONTENDERS if not (args.skip_pandas and name == PANDAS)]
    results: dict[str, tuple[float, float]] = {}
    for round_number in range(1, args.rounds + 1):
        for name in names:
            if name == PANDAS and round_number > 1:
                continue  # one round of pandas is plenty: it is an order of magnitude away
            seconds, cpu, rss = run(
                CONTENDERS[name],
                source,
                args.workdir / f"out-{name.split()[0]}",
                pandas=name == PANDAS or args.pandas_importable,
            )
            print(
                f"round {round_number}  {name:30} {seconds:7.2f} s {megabytes / seconds:8.1f} MB/s  "
                f"peak RSS {rss:7.0f} MB  (CPU {cpu:5.1f} s incl. imports)"
            )
            best = results.get(name)
            results[name] = (seconds, rss) if best is None or seconds < best[0] else best
    print(f"load average after: {load_average()}")
    for name, (seconds, rss) in results.items():
        print(f"best  {name:30} {seconds:7.2f} s {megabytes / seconds:8.1f} MB/s  peak RSS {rss:7.0f} MB")
    checks = targets(results, megabytes)
    for label, passed, detail in checks:
        print(f"{'PASS' if passed else 'MISSED':6}  {label:36} {detail}")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
