"""Peak RSS of a headless run at one partition of N orders against N/4 (issue 24, item 4): memory should not follow
partition size. Each size gets its own local stack (moto S3, DuckDB warehouse) and its own process, which drains the
landing sensor in-process (bench_e2e's headless child); the figure is that process's VmHWM. Asserts nothing.

    .venv/bin/python benchmarks/bench_partition_memory.py [--orders 1000000] [--files 25]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_e2e import HEADLESS, stack_env
from measure import run_child

TARGET_RATIO = 1.2
TARGET_PEAK_MB = 800.0


def land_in_one_date(stack, files: list[Path], root: Path) -> None:
    """The generator spreads a day's orders over two landing dates (late arrivals): every file is landed under the
    first date instead, so one run loads them all."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=stack.endpoint,
        region_name=stack.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    folder = min(path.relative_to(root).parent for path in files)  # orders/YYYY/MM/DD
    for path in files:
        name = "-".join(path.relative_to(root).parts[1:])  # YYYY-MM-DD-orders-N.jsonl: unique in one folder
        s3.upload_file(str(path), stack.bucket, f"landing/{folder.as_posix()}/{name}")


def peak_at(orders: int, files: int, work: Path, port: int) -> dict:
    from order_pipeline.commands.generate import GenerateOptions, write_to_folder

    options = GenerateOptions(
        count=orders,
        days=1,
        files_per_day=files,
        start_date=datetime.now(timezone.utc).date() - timedelta(days=1),
        update_share=0.0,
    )
    root = work / f"files-{orders}"
    written = write_to_folder(options, root)
    env, stack = stack_env(work, port, f"mem{orders}")
    land_in_one_date(stack, written, root)
    result = json.loads(run_child(HEADLESS, env=env))
    size_mb = sum(path.stat().st_size for path in written) / 1e6
    print(
        f"{orders:>9,} orders in one partition ({len(written)} files, {size_mb:.0f} MB): "
        f"peak {result['peak_mb']:.0f} MB, {result['wall']:.1f}s, steps "
        + ", ".join(f"{step} {seconds:.1f}s" for step, seconds in sorted(result["steps"].items()))
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=25)
    args = parser.parse_args()

    from order_pipeline.commands.moto_server import free_port, start_moto_server

    work = Path(tempfile.mkdtemp(prefix="bench-partition-memory-"))
    port = free_port()
    moto = start_moto_server("127.0.0.1", port, log_path=work / "moto.log")
    try:
        small = peak_at(args.orders // 4, args.files, work, port)
        large = peak_at(args.orders, args.files, work, port)
    finally:
        moto.terminate()

    ratio = large["peak_mb"] / small["peak_mb"]
    print()
    print(
        f"{'PASS' if ratio <= TARGET_RATIO else 'MISSED':6} peak RSS at {args.orders:,} orders <= "
        f"{TARGET_RATIO}x the peak at {args.orders // 4:,}: {ratio:.2f}x"
    )
    print(
        f"{'PASS' if large['peak_mb'] <= TARGET_PEAK_MB else 'MISSED':6} peak RSS at {args.orders:,} orders in one "
        f"partition <= {TARGET_PEAK_MB:.0f} MB: {large['peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
