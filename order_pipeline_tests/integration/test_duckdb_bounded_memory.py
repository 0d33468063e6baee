"""Issue 24 item 4, memory that does not follow partition size, on the real DuckDB backend: a load stages its parts
in INSERTs of at most `stage_bytes` of Parquet each, all inside the one load transaction, with the same result as
one INSERT; and the warehouse runs under a bounded memory_limit (ORDER_PIPELINE_DUCKDB_MEMORY_LIMIT), so it spills
instead of holding a partition. The figures are benchmarks/bench_partition_memory.py's."""

from __future__ import annotations

import boto3
import pytest

from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline.warehouse.sql_names import stage_name
from order_pipeline_tests.support.env import patched_environ
from order_pipeline_tests.support.warehouse_batches import Order, at, make_batch, orders_file

UPDATED_ORDERS = 25_000


def staging_inserts(wh: DuckDBWarehouse, table: str) -> int:
    """INSERTs into `table`'s staging table that DuckDB's own query log saw."""
    logged = wh.query("SELECT message FROM duckdb_logs WHERE type = 'QueryLog'")
    return sum(1 for (message,) in logged if message.startswith(f'INSERT INTO "{stage_name(table)}"'))


def snapshot(wh: DuckDBWarehouse) -> tuple[list, list]:
    return (
        wh.query('SELECT * FROM "orders" ORDER BY "order_id"'),
        wh.query('SELECT * FROM "order_items" ORDER BY "order_id", "line_number"'),
    )


def test_a_partition_above_the_staging_budget_is_staged_in_bounded_pieces_in_one_transaction(
    tmp_path, s3_client, bucket
):
    # six files; later files update orders of earlier ones, so de-duplication must still see the whole batch
    files = [
        orders_file(
            s3_client,
            bucket,
            f"part-{n}",
            *(
                Order(f"o-{k}", at(n), "shipped" if n % 2 else "paid", items=1 + n % 3)
                for k in range(n * 5, n * 5 + 20)
            ),
        )
        for n in range(6)
    ]
    batch = make_batch(ORDERS, *files)
    whole = DuckDBWarehouse(tmp_path / "whole.duckdb", s3_client)
    pieces = DuckDBWarehouse(tmp_path / "pieces.duckdb", s3_client, stage_bytes=1)  # every part above the budget
    try:
        for wh in (whole, pieces):
            wh.ensure_tables(ORDERS)
            wh.query("CALL enable_logging('QueryLog')")
        expected = whole.load_batch(batch)
        result = pieces.load_batch(batch)

        assert staging_inserts(whole, "orders") == 1  # six small parts fit the default budget
        assert staging_inserts(pieces, "orders") == 6  # one statement per part: bounded, not the whole partition
        assert staging_inserts(pieces, "order_items") == 6
        assert (result.staged, result.inserted, result.updated) == (expected.staged, expected.inserted, 0)
        assert result.staged == {"orders": 120, "order_items": expected.staged["order_items"]}
        assert snapshot(pieces) == snapshot(whole)
        assert len(snapshot(pieces)[0]) == 45
        assert pieces.loaded_versions(ORDERS, [f.source for f in files]) == {
            (f.source.key, f.source.etag) for f in files
        }
    finally:
        whole.close()
        pieces.close()


def test_a_load_failing_after_staging_some_pieces_leaves_nothing_behind(tmp_path, s3_client, bucket):
    files = [orders_file(s3_client, bucket, f"p-{n}", Order(f"o-{n}", at(n), items=2)) for n in range(3)]
    wh = DuckDBWarehouse(tmp_path / "wh.duckdb", s3_client, stage_bytes=1)
    try:
        wh.ensure_tables(ORDERS)

        def fail() -> None:
            raise ConnectionResetError("injected after staging")

        with pytest.raises(Exception, match="injected after staging"):
            wh.load_batch(make_batch(ORDERS, *files), after_stage=fail)
        assert snapshot(wh) == ([], [])
        assert wh.query('SELECT COUNT(*) FROM "file_ledger"') == [(0,)]
        assert wh.load_batch(make_batch(ORDERS, *files)).inserted == 3
    finally:
        wh.close()


def test_the_warehouse_runs_under_the_configured_memory_limit(tmp_path, s3_client):
    limit = "SELECT current_setting('memory_limit')"
    with patched_environ({"ORDER_PIPELINE_DUCKDB_PATH": str(tmp_path / "default.duckdb")}):
        wh = open_warehouse(load_settings(), s3_client)
    try:
        assert wh.query(limit) == [("244.1 MiB",)]  # 256MB, DuckDB's own default being 80% of RAM
    finally:
        wh.close()
    with patched_environ(
        {"ORDER_PIPELINE_DUCKDB_PATH": str(tmp_path / "set.duckdb"), "ORDER_PIPELINE_DUCKDB_MEMORY_LIMIT": "1GB"}
    ):
        wh = open_warehouse(load_settings(), boto3.client("s3", region_name="us-east-1"))
    try:
        assert wh.query(limit) == [("953.6 MiB",)]
    finally:
        wh.close()
    with pytest.raises(ValueError, match="memory limit 'lots' is not valid"):
        DuckDBWarehouse(tmp_path / "bad.duckdb", s3_client, memory_limit="lots")


def test_a_batch_updating_many_orders_loads_under_a_memory_limit_a_merge_would_exceed(tmp_path, s3_client, bucket):
    # DuckDB's MERGE holds every updated row's versions in memory it cannot spill: the same batch through a MERGE
    # fails with OutOfMemory under this limit; the DuckDB backend's DELETE + INSERT loads it.
    first = [Order(f"order-{k:07d}", at(k % 600), "paid", items=1) for k in range(UPDATED_ORDERS)]
    again = [Order(o.order_id, at(k % 600 + 1), "shipped", items=2) for k, o in enumerate(first)]
    wh = DuckDBWarehouse(tmp_path / "wh.duckdb", s3_client, memory_limit="20MB")
    try:
        wh.ensure_tables(ORDERS)
        wh.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "first", *first)))
        result = wh.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "again", *again), run_id="run-2"))
        assert (result.inserted, result.updated) == (0, UPDATED_ORDERS)
        assert wh.query('SELECT COUNT(*), COUNT(DISTINCT "order_id"), MIN("status") FROM "orders"') == [
            (UPDATED_ORDERS, UPDATED_ORDERS, "shipped")
        ]
        assert wh.query('SELECT COUNT(*) FROM "order_items"') == [(2 * UPDATED_ORDERS,)]
    finally:
        wh.close()
