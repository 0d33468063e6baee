"""Benchmark convert_file against pandas and plain pyarrow on a generated JSON Lines file of orders.

    python benchmarks/bench_convert.py --orders 1000000

Each contender runs in its own subprocess, which reports its wall time and peak RSS.
Targets: >= 150 MB/s, >= 9x pandas, <= 500 MB peak RSS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

TARGET_MB_S = 150.0
TARGET_VS_PANDAS = 9.0
TARGET_RSS_MB = 500.0

_PRELUDE = """
import resource, sys, time
from pathlib import Path
source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
"""
CONTENDERS = {
    "pandas read_json+to_parquet": """
import pandas as pd
start = time.perf_counter()
pd.read_json(source, lines=True).to_parquet(out / "orders.parquet")
""",
    "pyarrow read_json+write_table": """
import pyarrow.json as pj, pyarrow.parquet as pq
start = time.perf_counter()
pq.write_table(pj.read_json(source), out / "orders.parquet")
""",
    "convert_file": """
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
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
print(elapsed, peak_kb / 1024)
"""


def generate(path: Path, orders: int) -> None:
    from order_pipeline.datasets.orders_generator import generate_orders, write_jsonl

    started = time.perf_counter()
    write_jsonl(generate_orders(orders, seed=7, start_date=date(2026, 11, 20), days=3), path)
    size = path.stat().st_size / 1e6
    print(f"generated {orders:,} orders, {size:.0f} MB in {time.perf_counter() - started:.0f}s")


def run(code: str, source: Path, out: Path) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", _PRELUDE + code + _REPORT, str(source), str(out)],
                          check=True, capture_output=True, text=True)
    seconds, rss = done.stdout.split()[-2:]
    return float(seconds), float(rss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(".bench"))
    parser.add_argument("--skip-pandas", action="store_true", help="skip the (slow) pandas baseline")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"orders-{args.orders}.jsonl"
    if not source.exists():
        generate(source, args.orders)
    megabytes = source.stat().st_size / 1e6
    print(f"input: {source} ({megabytes:.0f} MB)")
    results: dict[str, tuple[float, float]] = {}
    for name, code in CONTENDERS.items():
        if args.skip_pandas and name.startswith("pandas"):
            continue
        results[name] = run(code, source, args.workdir / f"out-{name.split()[0]}")
        seconds, rss = results[name]
        print(f"{name:32} {seconds:7.2f} s {megabytes / seconds:8.1f} MB/s  peak RSS {rss:7.0f} MB")
    ours_seconds, ours_rss = results["convert_file"]
    checks = [(f"throughput >= {TARGET_MB_S:.0f} MB/s", megabytes / ours_seconds >= TARGET_MB_S,
               f"{megabytes / ours_seconds:.0f} MB/s"),
              (f"peak RSS <= {TARGET_RSS_MB:.0f} MB", ours_rss <= TARGET_RSS_MB, f"{ours_rss:.0f} MB")]
    if "pandas read_json+to_parquet" in results:
        pandas_seconds, pandas_rss = results["pandas read_json+to_parquet"]
        ratio = pandas_seconds / ours_seconds
        checks.append((f">= {TARGET_VS_PANDAS:.0f}x pandas", ratio >= TARGET_VS_PANDAS,
                       f"{ratio:.1f}x faster, {pandas_rss / ours_rss:.1f}x less memory"))
    if "pyarrow read_json+write_table" in results:
        print(f"vs plain pyarrow: {results['pyarrow read_json+write_table'][0] / ours_seconds:.2f}x")
    for label, passed, detail in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {label:24} {detail}")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
