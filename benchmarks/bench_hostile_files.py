"""Resource attacks (issue 20) through the real converter, each in a fresh process: peak RSS, seconds, bytes
written, the outcome, and PASS/MISSED against the issue's targets.

    python benchmarks/bench_hostile_files.py            # full size (the issue's files)
    python benchmarks/bench_hostile_files.py --scale 0.1

Each attack's file is built by order_pipeline_tests/support/hostile_files.py in a temporary folder, then
converted by `convert_file` in a child process (`--one`) that reports its own ru_maxrss. The baseline line
converts 20,000 valid orders the same way: its peak RSS is what the interpreter and libraries cost.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # order_pipeline_tests: the attack builders

from order_pipeline.conversion import convert_file  # noqa: E402
from order_pipeline.conversion.limits import DEFAULT_LIMITS  # noqa: E402
from order_pipeline.datasets.orders import ORDERS  # noqa: E402
from order_pipeline_tests.support import hostile_files as hostile  # noqa: E402
from order_pipeline_tests.support.order_samples import jsonl_bytes, order  # noqa: E402

MB = 1 << 20
# attack -> (builder with scale, limits overrides, targets (or targets by scale): seconds, peak RSS MB, bytes
# written, outcome)
ATTACKS = {
    "baseline_valid_orders": (
        lambda folder, scale: _valid(folder, int(20_000 * scale)),
        {},
        {"status": "converted"},
    ),
    "empty_objects_gzip_73KB": (
        lambda folder, scale: hostile.empty_objects_gzip(folder, int(25_000_000 * scale)),
        {},
        {"seconds": 5, "rss_mb": 400, "written": 1 * MB, "status": "rejected"},
    ),
    "gzip_over_decompressed_limit": (
        lambda folder, scale: hostile.valid_lines_gzip(folder, 64 * MB),
        {"max_decompressed_bytes": 16 * MB},
        {"status": "rejected", "reason": "max_decompressed_bytes"},
    ),
    "json_array_512KB_elements_default_limits": (
        lambda folder, scale: hostile.big_elements_array(folder, int(1200 * scale)),
        {},
        # ~629 MB from under 1 MB of gzip: valid, so it loads (the ratio is judged past ratio_grace_bytes, 1 GiB)
        {"rss_mb": 500, "status": "converted"},
    ),
    "json_array_512KB_elements_ratio_limit_set": (
        lambda folder, scale: hostile.big_elements_array(folder, int(1200 * scale)),
        {"ratio_grace_bytes": 16 * MB},
        {"rss_mb": 500, "status": "rejected", "reason": "max_compression_ratio"},
    ),
    "parquet_2GB_undeclared_column": (
        lambda folder, scale: hostile.undeclared_blob_parquet(folder, int(2048 * MB * scale)),
        {},
        {"rss_mb": 500, "status": "converted"},
    ),
    "parquet_3000_undeclared_columns": (
        lambda folder, scale: hostile.many_columns_parquet(folder, 3000),
        {},
        {"rss_mb": 500, "status": "rejected", "reason": "max_parquet_columns"},
    ),
    "parquet_3000_undeclared_columns_allowed": (
        lambda folder, scale: hostile.many_columns_parquet(folder, 3000),
        {"max_parquet_columns": 10_000},
        {"rss_mb": 500, "status": "converted"},
    ),
    "json_document_16MB_nested_element": (
        lambda folder, scale: hostile.deep_element_document(folder, int(16 * MB * scale)),
        {},
        {"seconds": 3, "status": "partial", "reason": "max_nesting_depth"},
    ),
}


def _valid(folder: Path, count: int) -> Path:
    path = folder / "valid.jsonl"
    path.write_bytes(jsonl_bytes([order(n) for n in range(1, max(count, 1) + 1)]))
    return path


def _written(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_one(source: Path, out: Path, overrides: dict) -> dict:
    """In the child: convert one file, print the outcome as JSON."""
    limits = replace(DEFAULT_LIMITS, **overrides)
    started = time.perf_counter()
    result = convert_file(ORDERS, source, out, limits=limits)
    seconds = time.perf_counter() - started
    reason = result.file_error or (result.first_rejects[0]["reason"] if result.first_rejects else "")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"status": result.status, "seconds": seconds, "reason": reason[:300], "rss_mb": rss_mb}


def _child(source: Path, out: Path, overrides: dict) -> dict:
    command = [sys.executable, __file__, "--one", str(source), str(out), json.dumps(overrides)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"status": f"crashed ({done.returncode})", "seconds": 0, "reason": done.stderr[-300:], "rss_mb": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _verdict(targets: dict, outcome: dict, rss_mb: float, written: int) -> list[str]:
    missed = []
    if "seconds" in targets and outcome["seconds"] >= targets["seconds"]:
        missed.append(f"seconds >= {targets['seconds']}")
    if "rss_mb" in targets and rss_mb >= targets["rss_mb"]:
        missed.append(f"peak RSS >= {targets['rss_mb']} MB")
    if "written" in targets and written >= targets["written"]:
        missed.append(f"written >= {targets['written']} bytes")
    if outcome["status"] != targets["status"]:
        missed.append(f"status {outcome['status']} != {targets['status']}")
    if "reason" in targets and targets["reason"] not in outcome.get("reason", ""):
        missed.append(f"reason does not name {targets['reason']}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the attacks (1: the issue's sizes)")
    parser.add_argument("--only", default="", help="run only attacks whose name contains this")
    args = parser.parse_args()
    print(f"scale {args.scale}; each attack converted in a fresh process (peak RSS = the child's ru_maxrss)")
    failures = 0
    for name, (build, overrides, targets) in ATTACKS.items():
        if args.only not in name:
            continue
        targets = targets(args.scale) if callable(targets) else targets
        with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
            folder = Path(tmp)
            source = build(folder, args.scale)
            size = source.stat().st_size
            outcome = _child(source, folder / "out", overrides)
            written = _written(folder / "out")
        rss_mb = outcome["rss_mb"]
        missed = _verdict(targets, outcome, rss_mb, written)
        failures += bool(missed)
        print(
            f"{name:44} {'PASS' if not missed else 'MISSED'}  input {size:>9} B"
            f"  {outcome['seconds']:6.2f} s  peak {rss_mb:6.0f} MB  written {written:>9} B  {outcome['status']}"
            + (f"  [{'; '.join(missed)}]" if missed else "")
        )
        print(f"    {outcome.get('reason', '')[:240]}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(run_one(Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4]))))
        sys.exit(0)
    sys.exit(main())
