"""DuckDBWarehouse against a real DuckDB file and real Parquet parts on the local S3 endpoint."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import boto3
import pytest

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.base import LoadBatch, LoadError
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline_tests.support.warehouse_batches import (
    Order,
    at,
    make_batch,
    orders_file,
    rejected_file,
)


@pytest.fixture
def warehouse(tmp_path: Path, s3_client):
    wh = DuckDBWarehouse(tmp_path / "wh.duckdb", s3_client)
    wh.ensure_tables(ORDERS)
    yield wh
    wh.close()


def orders(wh: DuckDBWarehouse) -> dict[str, tuple[str, Any]]:
    return {
        oid: (status, ts)
        for oid, status, ts in wh.query('SELECT "order_id", "status", "updated_at" FROM "orders"')
    }


def items(wh: DuckDBWarehouse, order_id: str) -> list[tuple[int, str]]:
    return wh.query(
        'SELECT "line_number", "sku" FROM "order_items" WHERE "order_id" = ? ORDER BY 1', [order_id]
    )


def snapshot(wh: DuckDBWarehouse) -> tuple[list, list, list]:
    return (
        wh.query('SELECT * FROM "orders" ORDER BY "order_id"'),
        wh.query('SELECT * FROM "order_items" ORDER BY "order_id", "line_number"'),
        wh.query('SELECT * FROM "file_ledger" ORDER BY "key"'),
    )


def test_first_load_inserts_parents_children_and_ledger(warehouse, s3_client, bucket):
    file = orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3), Order("o-2", at(0), items=2))
    result = warehouse.load_batch(make_batch(ORDERS, file))
    assert (result.inserted, result.updated, result.stale) == (2, 0, 0)
    assert result.staged == {"orders": 2, "order_items": 5}
    assert result.child_rows == {"order_items": 5}
    assert set(orders(warehouse)) == {"o-1", "o-2"}
    assert [n for n, _ in items(warehouse, "o-1")] == [1, 2, 3]
    ledger = warehouse.query(
        'SELECT "key", "etag", "status", "rows", "run_id", "partition" FROM "file_ledger"'
    )
    assert ledger == [(file.source.key, file.source.etag, "loaded", 2, "run-1", "2026-11-20")]


def test_newer_version_updates_row_and_replaces_items_as_a_whole(warehouse, s3_client, bucket):
    warehouse.load_batch(
        make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3)))
    )
    second = orders_file(
        s3_client, bucket, "b", Order("o-1", at(5), status="shipped", items=1), Order("o-9", at(5))
    )
    result = warehouse.load_batch(make_batch(ORDERS, second, run_id="run-2"))
    assert (result.inserted, result.updated, result.stale) == (1, 1, 0)
    assert orders(warehouse)["o-1"] == ("shipped", at(5))
    assert items(warehouse, "o-1") == [(1, "sku-1")]
    assert warehouse.query('SELECT COUNT(*) FROM "orders" WHERE "order_id" = ?', ["o-1"]) == [(1,)]


def test_same_order_twice_in_a_batch_latest_version_then_later_file_then_later_record_wins(
    warehouse, s3_client, bucket
):
    early = orders_file(
        s3_client,
        bucket,
        "a",
        Order("newest", at(9), status="delivered", items=2),
        Order("tie", at(1), status="paid"),
        Order("rec", at(1), status="paid"),
    )
    late = orders_file(
        s3_client,
        bucket,
        "b",
        Order("newest", at(3), status="paid", items=3),
        Order("tie", at(1), status="shipped", items=4),
        Order("rec", at(1), status="pending"),
        Order("rec", at(1), status="cancelled", items=2),
    )
    result = warehouse.load_batch(make_batch(ORDERS, early, late))
    assert (result.inserted, result.updated, result.stale) == (3, 0, 0)
    assert result.staged["orders"] == 7
    state = orders(warehouse)
    assert state["newest"] == ("delivered", at(9))  # newest version wins though its file came first
    assert state["tie"][0] == "shipped"  # same version: the later file wins
    assert state["rec"][0] == "cancelled"  # same version, same file: the later record wins
    assert len(items(warehouse, "newest")) == 2 and len(items(warehouse, "tie")) == 4
    assert len(items(warehouse, "rec")) == 2
    assert result.child_rows == {"order_items": 8}


def test_older_version_arriving_later_is_stale_and_does_not_regress(warehouse, s3_client, bucket):
    warehouse.load_batch(
        make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(10), "shipped", 2)))
    )
    late = orders_file(s3_client, bucket, "b", Order("o-1", at(1), "pending", 5), Order("o-2", at(1)))
    result = warehouse.load_batch(make_batch(ORDERS, late))
    assert (result.inserted, result.updated, result.stale) == (1, 0, 1)
    assert orders(warehouse)["o-1"] == ("shipped", at(10))
    assert len(items(warehouse, "o-1")) == 2
    assert warehouse.loaded_versions(ORDERS, [late.source]) == {(late.source.key, late.source.etag)}


def test_ledger_records_every_file_and_never_twice(warehouse, s3_client, bucket):
    good = orders_file(s3_client, bucket, "a", Order("o-1", at(0)))
    bad = rejected_file(bucket, ORDERS, "b", "quarantined")
    dead = rejected_file(bucket, ORDERS, "c", "dead_letter")
    other = rejected_file(bucket, ORDERS, "d")
    assert warehouse.loaded_versions(ORDERS, [good.source, bad.source]) == set()
    warehouse.load_batch(make_batch(ORDERS, good, bad, dead))
    versions = [f.source for f in (good, bad, dead, other)]
    assert warehouse.loaded_versions(ORDERS, versions) == {(f.key, f.etag) for f in versions[:3]}
    statuses = warehouse.query('SELECT "status", "error" FROM "file_ledger" ORDER BY "key"')
    assert statuses == [
        ("loaded", None),
        ("quarantined", "b is not valid JSON"),
        ("dead_letter", "c is not valid JSON"),
    ]
    # The guard in SQL: the same file versions again add no ledger row and change no order.
    before = snapshot(warehouse)[0]
    warehouse.load_batch(make_batch(ORDERS, good, bad, run_id="run-2"))
    assert warehouse.query('SELECT COUNT(*) FROM "file_ledger"') == [(3,)]
    assert snapshot(warehouse)[0] == before


def test_missing_part_fails_naming_the_file_and_changes_nothing(warehouse, s3_client, bucket):
    warehouse.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0)))))
    before = snapshot(warehouse)
    good = orders_file(s3_client, bucket, "b", Order("o-1", at(5), "shipped"))
    broken = orders_file(s3_client, bucket, "c", Order("o-2", at(5)))
    s3_client.delete_object(Bucket=bucket, Key=broken.parts["order_items"].split("/", 3)[3])
    with pytest.raises(LoadError) as failure:
        warehouse.load_batch(make_batch(ORDERS, good, broken))
    assert broken.source.uri in str(failure.value) and good.source.uri in str(failure.value)
    assert broken.parts["order_items"] in str(failure.value)  # the cause names the missing part
    assert snapshot(warehouse) == before


def test_failure_after_staging_rolls_back_everything(warehouse, s3_client, bucket):
    warehouse.load_batch(
        make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3)))
    )
    before = snapshot(warehouse)
    newer = orders_file(s3_client, bucket, "b", Order("o-1", at(5), "shipped", 1), Order("o-2", at(5)))

    def explode() -> None:
        raise RuntimeError("boom after staging")

    with pytest.raises(LoadError, match="boom after staging"):
        warehouse.load_batch(make_batch(ORDERS, newer), after_stage=explode)
    assert snapshot(warehouse) == before
    # The connection is usable again and the same batch loads cleanly.
    assert warehouse.load_batch(make_batch(ORDERS, newer)).updated == 1


def _load_then_die(db_path: str, batch: LoadBatch) -> None:
    warehouse = DuckDBWarehouse(db_path, boto3.client("s3", region_name="us-east-1"))
    warehouse.load_batch(batch, after_stage=lambda: os.kill(os.getpid(), signal.SIGKILL))


def test_killed_load_leaves_the_file_unchanged_and_loads_once_afterwards(tmp_path, s3_client, bucket):
    db = tmp_path / "killed.duckdb"
    warehouse = DuckDBWarehouse(db, s3_client)
    warehouse.ensure_tables(ORDERS)
    warehouse.load_batch(
        make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3)))
    )
    before = snapshot(warehouse)
    warehouse.close()  # DuckDB allows one writing process per file

    newer = orders_file(
        s3_client, bucket, "b", *(Order(f"o-{n}", at(5), "shipped", 2) for n in range(1, 500))
    )
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
        assert reopened.query('SELECT COUNT(*) FROM "file_ledger" WHERE "key" = ?', [newer.source.key]) == [
            (1,)
        ]
        assert reopened.query('SELECT COUNT(*) FROM "order_items"') == [(998,)]
    finally:
        reopened.close()
