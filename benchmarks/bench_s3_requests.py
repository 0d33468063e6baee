"""S3 requests per landed file of the lake and warehouse steps (DuckDB), counted by operation on a real boto3
client (the tests' request counter) against the benchmark's local S3 endpoint.

Two landing dates that differ only in their number of files: the difference divided by the files it adds is what
one more file costs; the rest is what a partition costs whatever its number of files. Prints the figures and
PASS/MISSED against the issue 24 target (<= 4 requests per landed file). Asserts nothing.

    .venv/bin/python benchmarks/bench_s3_requests.py [--orders 20000] [--files-per-day 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # order_pipeline_tests: the request counter

TARGET_PER_FILE = 4.0


@dataclass(frozen=True)
class RequestCount:
    per_file: dict[str, float]  # operation -> requests one more landed file costs
    per_partition: float  # requests a partition costs whatever its number of files
    files: int  # files of the larger date
    total: Counter  # every request of the larger date

    @property
    def per_file_total(self) -> float:
        return sum(self.per_file.values())

    @property
    def average(self) -> float:
        """Every request of the larger date over its files: what a date of that many files costs a file."""
        return sum(self.total.values()) / self.files


def _steps(client, bucket: str, warehouse_path: Path, partition: str) -> None:
    from order_pipeline.config import Settings
    from order_pipeline.datasets.orders import ORDERS
    from order_pipeline.steps.lake.convert_partition import convert_landing_date
    from order_pipeline.steps.warehouse.load_partition import load_landing_date
    from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    settings = Settings(bucket=bucket)
    convert_landing_date(client, settings.layout, ORDERS, partition)
    warehouse = DuckDBWarehouse(warehouse_path, client)
    try:
        load_landing_date(client, warehouse, settings.layout, ORDERS, partition, "bench-requests")
    finally:
        warehouse.close()


def count(stack, by_date: dict[str, list[tuple[str, Path]]], work: Path) -> RequestCount:
    """`by_date`: two landing dates -> their (landing key, local file); the second date is landed with half of
    its files."""
    from order_pipeline_tests.support.s3_requests import counting_s3_client

    (small_date, small_files), (large_date, large_files) = sorted(by_date.items())[:2]
    small_files = small_files[: max(1, len(large_files) // 2)]
    endpoint = {
        "endpoint_url": stack.endpoint,
        "region_name": stack.region,
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    lander, _ = counting_s3_client(**endpoint)
    for key, path in [*small_files, *large_files]:
        lander.upload_file(str(path), stack.bucket, key)
    counts = []
    for partition in (small_date, large_date):
        client, calls = counting_s3_client(**endpoint)
        _steps(client, stack.bucket, work / "requests.duckdb", partition)
        counts.append(calls)
    fewer, more = counts
    added = len(large_files) - len(small_files)
    per_file = {op: (more[op] - fewer[op]) / added for op in more | fewer if more[op] != fewer[op]}
    fixed = sum(more.values()) - len(large_files) * sum(per_file.values())
    return RequestCount(per_file, fixed, len(large_files), more)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--files-per-day", type=int, default=8)
    args = parser.parse_args()

    from order_pipeline.commands.generate import GenerateOptions, write_to_folder
    from order_pipeline.commands.local_stack import LocalStack, provision
    from order_pipeline.commands.moto_server import free_port, start_moto_server

    work = Path(tempfile.mkdtemp(prefix="bench-s3-requests-"))
    today = datetime.now(timezone.utc).date()
    options = GenerateOptions(
        count=args.orders,
        days=2,
        files_per_day=args.files_per_day,
        start_date=today - timedelta(days=2),
        update_share=0.0,
    )
    root = work / "files"
    by_date: dict[str, list[tuple[str, Path]]] = {}
    for path in write_to_folder(options, root):
        relative = path.relative_to(root)
        day = "-".join(relative.parts[1:4])  # orders/YYYY/MM/DD/orders-N.jsonl
        by_date.setdefault(day, []).append((f"landing/{relative.as_posix()}", path))

    port = free_port()
    moto = start_moto_server("127.0.0.1", port, log_path=work / "moto.log")
    try:
        stack = LocalStack(
            state_dir=work / "state",
            port=port,
            bucket="bench-requests",
            queue_prefix="bench-requests",
            topic="bench-requests-events",
            queue="bench-requests-inbox",
        )
        stack.state_dir.mkdir(parents=True)
        provision(stack)
        result = count(stack, by_date, work)
    finally:
        moto.terminate()

    by_operation = ", ".join(f"{op} {n:g}" for op, n in sorted(result.per_file.items()))
    print(
        f"S3 requests one more landed file costs (lake + DuckDB warehouse): {result.per_file_total:g} ({by_operation})"
    )
    print(f"S3 requests a partition costs whatever its number of files: {result.per_partition:g}")
    print(f"all requests of a {result.files}-file date over its files: {result.average:.1f} per file")
    met = result.per_file_total <= TARGET_PER_FILE
    print()
    print(
        f"{'PASS' if met else 'MISSED':6} S3 requests per landed file <= {TARGET_PER_FILE:g}: {result.per_file_total:g}"
    )


if __name__ == "__main__":
    main()
