"""Benchmark CSV conversion against JSON Lines conversion of the same rows and against pyarrow's CSV reader.

    python benchmarks/bench_csv.py --rows 500000 [--rounds 2]

The rows are the tests' shipments feed (a column of every kind; some fields hold quotes, delimiters and line
ends). Each contender runs in its own subprocess, which reports its wall time and peak RSS; the best round counts:
  - convert_file on the CSV (parse, validate, write canonical Parquet);
  - convert_file on the same rows as JSON Lines;
  - pyarrow: `pyarrow.csv.read_csv` + `pyarrow.parquet.write_table` (no validation, no line numbers, no recovery
    from a malformed row: a baseline of what parsing alone costs).
Targets: CSV conversion >= 0.5x the JSON Lines conversion's rows/s (the same order), peak RSS <= 500 MB whatever
the file size (streamed in batches). Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # order_pipeline_tests: the shipments feed

TARGET_VS_JSONL = 0.5
TARGET_RSS_MB = 500.0

_PRELUDE = """
import resource, sys, time
sys.path.insert(0, sys.argv[3])
from datetime import datetime, timezone
from pathlib import Path
source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
started = time.perf_counter()
"""
_REPORT = """
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
_OURS = """
from order_pipeline.conversion import convert_file
from order_pipeline_tests.support.shipments import shipments_dataset
result = convert_file(shipments_dataset(), source, out, landed_at=datetime.now(timezone.utc))
assert result.status == "converted", (result.file_error, result.first_rejects[:2])
"""
_PYARROW = """
import pyarrow.csv as pv, pyarrow.parquet as pq
pq.write_table(pv.read_csv(source, parse_options=pv.ParseOptions(newlines_in_values=True)), out / "o.parquet")
"""
CONTENDERS = {
    "convert_file CSV": ("csv", _OURS),
    "convert_file JSON Lines": ("jsonl", _OURS),
    "pyarrow read_csv+write_table": ("csv", _PYARROW),
}


def _write_inputs(folder: Path, rows: int) -> dict[str, Path]:
    from order_pipeline_tests.support.shipments import python_csv, shipment_rows

    paths = {"csv": folder / "shipments.csv", "jsonl": folder / "shipments.jsonl"}
    with open(paths["csv"], "wb") as csv_file, open(paths["jsonl"], "wb") as jsonl_file:
        for start in range(1, rows + 1, 50_000):
            batch = shipment_rows(min(50_000, rows + 1 - start), start)
            text = python_csv(batch)
            csv_file.write(text if start == 1 else text.split(b"\r\n", 1)[1])
            for row in batch:
                jsonl_file.write(orjson.dumps(row, default=str) + b"\n")
    return paths


def _run(code: str, source: Path, out: Path) -> tuple[float, float]:
    program = _PRELUDE + code + _REPORT
    done = subprocess.run(
        [sys.executable, "-c", program, str(source), str(out), str(ROOT)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"contender failed:\n{done.stderr[-2000:]}")
    seconds, rss = done.stdout.split()
    return float(seconds), float(rss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = _write_inputs(folder, args.rows)
        sizes = {kind: path.stat().st_size / 1e6 for kind, path in paths.items()}
        print(f"{args.rows} rows: CSV {sizes['csv']:.1f} MB, JSON Lines {sizes['jsonl']:.1f} MB")
        best: dict[str, tuple[float, float]] = {}
        for round_ in range(args.rounds):
            for label, (kind, code) in CONTENDERS.items():
                seconds, rss = _run(code, paths[kind], folder / f"out-{round_}-{kind}-{len(best)}")
                if label not in best or seconds < best[label][0]:
                    best[label] = (seconds, max(rss, best.get(label, (0, 0))[1]))
        for label, (seconds, rss) in best.items():
            kind = CONTENDERS[label][0]
            rate = args.rows / seconds
            print(
                f"{label:32} {seconds:7.2f} s  {rate / 1000:8.0f} k rows/s  "
                f"{sizes[kind] / seconds:6.1f} MB/s  {rss:6.0f} MB"
            )
    csv_rate = args.rows / best["convert_file CSV"][0]
    jsonl_rate = args.rows / best["convert_file JSON Lines"][0]
    arrow_rate = args.rows / best["pyarrow read_csv+write_table"][0]
    checks = [
        (
            csv_rate >= TARGET_VS_JSONL * jsonl_rate,
            "CSV vs JSON Lines conversion",
            f"{csv_rate / jsonl_rate:.2f}x (target >= {TARGET_VS_JSONL}x)",
        ),
        (
            best["convert_file CSV"][1] <= TARGET_RSS_MB,
            "CSV conversion peak RSS",
            f"{best['convert_file CSV'][1]:.0f} MB (target <= {TARGET_RSS_MB:.0f} MB)",
        ),
    ]
    print(f"{'INFO':6}  {'CSV vs pyarrow read_csv (no checks)':36} {csv_rate / arrow_rate:.2f}x")
    for passed, label, detail in checks:
        print(f"{'PASS' if passed else 'MISSED':6}  {label:36} {detail}")
    return 0 if all(passed for passed, _, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
