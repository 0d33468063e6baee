"""What landing one more file costs in S3 requests on the happy path: the lake step and the DuckDB warehouse step
run on a real boto3 client against the local endpoint, its requests counted by operation.

The figure is the cost of a file (two partitions that differ only in their number of files, the difference
divided by the files it adds): each partition also pays a few requests of its own (listings, the schema state,
the crash guards of the steps), which the second assertion bounds.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from order_pipeline.config import Settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake.convert_partition import convert_landing_date
from order_pipeline.steps.warehouse.load_partition import load_landing_date
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline_tests.support.order_samples import jsonl_bytes, order
from order_pipeline_tests.support.s3_requests import counting_s3_client

MAX_REQUESTS_PER_FILE = 4
# a partition's own: the landing tree walked by each step (4 listings each: root, year, month, day), the
# conversions folder listed by each, the schema state read by each, each step's crash guard written and removed
MAX_REQUESTS_PER_PARTITION = 16
DAY = date(2026, 11, 20)


def _land(s3_client, bucket: str, day: date, files: int) -> None:
    for index in range(files):
        records = [order(day.day * 1000 + index * 10 + n) for n in range(3)]
        key = f"landing/orders/{day:%Y/%m/%d}/f-{index}.jsonl"
        s3_client.put_object(Bucket=bucket, Key=key, Body=jsonl_bytes(records))


def _both_steps(bucket: str, warehouse_path, day: date) -> Counter:
    settings = Settings(bucket=bucket)
    client, calls = counting_s3_client()
    lake = convert_landing_date(client, settings.layout, ORDERS, day.isoformat())
    assert lake.summary.files == lake.converted_now and not lake.summary.quarantined
    warehouse = DuckDBWarehouse(warehouse_path, client)
    try:
        loaded = load_landing_date(
            client, warehouse, settings.layout, ORDERS, day.isoformat(), "run-1", max_files=settings.max_files_per_batch
        )
    finally:
        warehouse.close()
    assert loaded.load.files_loaded == lake.summary.files
    return calls


def test_a_landed_file_costs_at_most_four_s3_requests_in_the_lake_and_warehouse_steps(
    s3_client, bucket, tmp_path
) -> None:
    small, large = DAY, DAY + timedelta(days=1)
    _land(s3_client, bucket, small, 2)
    _land(s3_client, bucket, large, 6)
    db = tmp_path / "warehouse.duckdb"
    fewer = _both_steps(bucket, db, small)
    more = _both_steps(bucket, db, large)

    per_file = {op: (more[op] - fewer[op]) / 4 for op in more | fewer if more[op] != fewer[op]}
    assert sum(per_file.values()) <= MAX_REQUESTS_PER_FILE, (per_file, fewer, more)
    fixed = sum(fewer.values()) - 2 * sum(per_file.values())
    assert fixed <= MAX_REQUESTS_PER_PARTITION, (fixed, fewer)
