"""What only the DuckDB backend does: one writing process per file, so a load killed by SIGKILL must leave the
file as it was. The contract both backends share is in test_warehouse_contract.py."""

from __future__ import annotations

import multiprocessing
import os
import signal

import boto3

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.base import LoadBatch
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline_tests.support.warehouse_batches import Order, at, make_batch, orders_file


def snapshot(wh: DuckDBWarehouse) -> tuple[list, list, list]:
    return (
        wh.query('SELECT * FROM "orders" ORDER BY "order_id"'),
        wh.query('SELECT * FROM "order_items" ORDER BY "order_id", "line_number"'),
        wh.query('SELECT * FROM "file_ledger" ORDER BY "key"'),
    )


def _load_then_die(db_path: str, batch: LoadBatch) -> None:
    warehouse = DuckDBWarehouse(db_path, boto3.client("s3", region_name="us-east-1"))
    warehouse.load_batch(batch, after_stage=lambda: os.kill(os.getpid(), signal.SIGKILL))


def test_killed_load_leaves_the_file_unchanged_and_loads_once_afterwards(tmp_path, s3_client, bucket):
    db = tmp_path / "killed.duckdb"
    warehouse = DuckDBWarehouse(db, s3_client)
    warehouse.ensure_tables(ORDERS)
    warehouse.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3))))
    before = snapshot(warehouse)
    warehouse.close()  # DuckDB allows one writing process per file

    newer = orders_file(s3_client, bucket, "b", *(Order(f"o-{n}", at(5), "shipped", 2) for n in range(1, 500)))
    batch = make_batch(ORDERS, newer, run_id="run-killed")
    child = multiprocessing.get_context("spawn").Process(target=_load_then_die, args=(str(db), batch))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL

    reopened = DuckDBWarehouse(db, s3_client)
    try:
        assert snapshot(reopened) == before
        assert reopened.loaded_versions(ORDERS, [newer.source]) == set()
        result = reopened.load_batch(make_batch(ORDERS, newer, run_id="run-retry"))
        assert (result.inserted, result.updated) == (498, 1)
        assert reopened.loaded_versions(ORDERS, [newer.source]) == {(newer.source.key, newer.source.etag)}
        assert reopened.query('SELECT COUNT(*) FROM "file_ledger" WHERE "key" = ?', [newer.source.key]) == [(1,)]
        assert reopened.query('SELECT COUNT(*) FROM "order_items"') == [(998,)]
    finally:
        reopened.close()
