"""Big dates: a date of 20,000 small files loads completely with the run's peak RSS within 1.2x of a date of 2,000
files, and every metadata entry of the run under 64 KB.

    .venv/bin/python benchmarks/bench_big_dates.py [--scale 1.0]

`--scale` multiplies both file counts (0.05: 1,000 vs 100) for development. Each date is landed on the local moto
endpoint (one order per file) and loaded by the headless drain (real sensor, listing mode, the run in process)
in a child process of its own, on DuckDB, with the default ORDER_PIPELINE_MAX_FILES_PER_BATCH. Prints the peak RSS
of each child, the largest metadata entry of the big date's runs, and PASS/MISSED. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from measure import PEAK_MB_SOURCE, run_child

SMALL_FILES, BIG_FILES = 2_000, 20_000
TARGET_RSS_RATIO = 1.2
TARGET_ENTRY_BYTES = 64 * 1024

CHILD = (
    PEAK_MB_SOURCE
    + """
import json, sys, time
import dagster as dg
from order_pipeline.commands.headless import drain
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.run_metadata import run_metadata
import boto3

settings = load_settings()
start = time.perf_counter()
with dg.DagsterInstance.get() as instance:
    _, ticks = drain(build_definitions(settings), instance, ORDERS.landing_sensor_name, None, max_ticks=10)
    runs = [run for tick in ticks for run in tick.runs]
    entries = [e for run in runs for e in run_metadata(instance, run.run_id)]
wall = time.perf_counter() - start
largest = max(entries, key=lambda e: e.size)
db = open_warehouse(settings, boto3.client("s3"))
orders, ledger = db.query('SELECT COUNT(*) FROM "orders"')[0][0], db.query('SELECT COUNT(*) FROM "file_ledger"')[0][0]
db.close()
print(json.dumps({"wall": wall, "runs": len(runs), "failed": sum(not r.success for r in runs), "orders": orders,
                  "ledger": ledger, "peak_mb": peak_mb(), "largest": [largest.event, largest.name, largest.size]}))
"""
)


def land(stack, files: int, day) -> None:
    import boto3
    import orjson

    from order_pipeline.datasets.orders_generator import generate_orders

    s3 = boto3.client(
        "s3",
        endpoint_url=stack.endpoint,
        region_name=stack.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )

    def put(n: int) -> None:
        body = b"".join(orjson.dumps(o) + b"\n" for o in generate_orders(1, seed=n, start_date=day, id_prefix=f"B{n}-"))
        s3.put_object(Bucket=stack.bucket, Key=f"landing/orders/{day:%Y/%m/%d}/file-{n:06d}.jsonl", Body=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(files)))


def measure(work: Path, port: int, name: str, files: int, day) -> dict:
    from order_pipeline.commands.local_stack import LocalStack, provision, write_dagster_home

    stack = LocalStack(
        state_dir=work / name,
        port=port,
        bucket=f"bench-{name}",
        queue_prefix=f"bench-{name}",
        topic=f"bench-{name}-events",
        queue=f"bench-{name}-inbox",
    )
    stack.state_dir.mkdir(parents=True)
    write_dagster_home(stack)
    provision(stack)
    started = time.perf_counter()
    land(stack, files, day)
    landed = time.perf_counter() - started
    env = {
        **os.environ,
        **stack.environment(),
        "ORDER_PIPELINE_SENSOR_MODE": "listing",
        "ORDER_PIPELINE_PARTITION_START": (day - timedelta(days=3)).isoformat(),
    }
    result = json.loads(run_child(CHILD, env=env))
    print(
        f"{files:>7,} files: landed in {landed:.0f}s, loaded in {result['wall']:.0f}s ({result['runs']} runs, "
        f"{result['failed']} failed), {result['orders']:,} orders, {result['ledger']:,} ledger rows, "
        f"peak RSS {result['peak_mb']:.0f} MB, largest metadata entry {result['largest'][2]:,} B "
        f"({result['largest'][0]}: {result['largest'][1]})"
    )
    result["files"] = files
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies both file counts (development)")
    args = parser.parse_args()
    small, big = max(1, round(SMALL_FILES * args.scale)), max(1, round(BIG_FILES * args.scale))

    from order_pipeline.commands.moto_server import free_port, start_moto_server

    work = Path(tempfile.mkdtemp(prefix="bench-big-dates-"))
    day = datetime.now(timezone.utc).date() - timedelta(days=1)
    port = free_port()
    moto = start_moto_server("127.0.0.1", port, log_path=work / "moto.log")
    try:
        baseline = measure(work, port, "small", small, day)
        large = measure(work, port, "big", big, day)
    finally:
        moto.terminate()

    complete = large["orders"] == big and large["ledger"] == big and not large["failed"]
    ratio = large["peak_mb"] / baseline["peak_mb"]
    entry = max(baseline["largest"][2], large["largest"][2])
    print(f"\nscale {args.scale}: {big:,} vs {small:,} files")
    print(f"{'PASS' if complete else 'MISSED'}  the big date loaded completely ({large['ledger']:,} of {big:,} files)")
    print(
        f"{'PASS' if ratio <= TARGET_RSS_RATIO else 'MISSED'}  peak run RSS {large['peak_mb']:.0f} MB vs "
        f"{baseline['peak_mb']:.0f} MB: {ratio:.2f}x (target <= {TARGET_RSS_RATIO}x)"
    )
    print(
        f"{'PASS' if entry < TARGET_ENTRY_BYTES else 'MISSED'}  largest metadata entry {entry:,} B "
        f"(target < {TARGET_ENTRY_BYTES:,} B)"
    )


if __name__ == "__main__":
    main()
