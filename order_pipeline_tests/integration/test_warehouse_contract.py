"""The warehouse contract, once, for both backends: DuckDB (Arrow registration) and Redshift (manifest COPY into
the local Redshift-compatible endpoint). Both read real Parquet parts from the local S3 endpoint.

What only one backend does lives next to it: test_duckdb_warehouse.py (a load killed by SIGKILL),
test_redshift_warehouse.py (COPY's manifests and load errors, dropped connections, SUPER)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.base import LoadError, Warehouse
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline_tests.support.customers import CUSTOMERS
from order_pipeline_tests.support.warehouse_batches import (
    T0,
    Order,
    at,
    customer,
    data_file,
    make_batch,
    orders_file,
    rejected_file,
)
from order_pipeline_tests.support.warehouses import warehouses_under_test

ROLE = "arn:aws:iam::123456789012:role/local-loader"
OpenWarehouse = Callable[[Dataset], Warehouse]


@pytest.fixture(params=warehouses_under_test())
def open_warehouse(request, tmp_path, s3_client, bucket) -> Iterator[OpenWarehouse]:
    """A factory: a fresh warehouse of the backend under test with `dataset`'s tables ensured."""
    opened: list[Warehouse] = []

    def open_one(dataset: Dataset) -> Warehouse:
        if request.param == "duckdb":
            wh: Warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb", s3_client)
        else:
            connect = request.getfixturevalue("redshift_connect")
            wh = RedshiftWarehouse(
                connect,
                s3_client,
                iam_role=ROLE,
                manifest_prefix=f"s3://{bucket}/_manifests/",
                serverless=False,
                base_delay=0.05,
            )
        opened.append(wh)
        wh.ensure_tables(dataset)
        return wh

    yield open_one
    for wh in opened:
        wh.close()


@pytest.fixture
def warehouse(open_warehouse: OpenWarehouse) -> Warehouse:
    return open_warehouse(ORDERS)


def orders(wh: Warehouse) -> dict[str, tuple[str, Any]]:
    rows = wh.query('SELECT "order_id", "status", "updated_at" FROM "orders"')
    return {oid: (status, ts) for oid, status, ts in rows}


def items(wh: Warehouse, order_id: str) -> list[tuple[int, str]]:
    return [
        tuple(row)
        for row in wh.query(
            'SELECT "line_number", "sku" FROM "order_items" WHERE "order_id" = ? ORDER BY 1', [order_id]
        )
    ]


def snapshot(wh: Warehouse) -> tuple[list, list, list]:
    return (
        wh.query('SELECT * FROM "orders" ORDER BY "order_id"'),
        wh.query('SELECT * FROM "order_items" ORDER BY "order_id", "line_number"'),
        wh.query('SELECT * FROM "file_ledger" ORDER BY "key"'),
    )


def columns_of(wh: Warehouse, table: str) -> list[str]:
    rows = wh.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in rows]


def test_first_load_inserts_parents_children_and_ledger(warehouse, s3_client, bucket):
    file = orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3), Order("o-2", at(0), items=2))
    result = warehouse.load_batch(make_batch(ORDERS, file))
    assert (result.inserted, result.updated, result.stale) == (2, 0, 0)
    assert result.staged == {"orders": 2, "order_items": 5}
    assert result.child_rows == {"order_items": 5}
    assert set(orders(warehouse)) == {"o-1", "o-2"}
    assert [n for n, _ in items(warehouse, "o-1")] == [1, 2, 3]
    ledger = warehouse.query('SELECT "key", "etag", "status", "rows", "run_id", "partition" FROM "file_ledger"')
    assert [tuple(row) for row in ledger] == [(file.source.key, file.source.etag, "loaded", 2, "run-1", "2026-11-20")]


def test_newer_version_updates_row_and_replaces_items_as_a_whole(warehouse, s3_client, bucket):
    warehouse.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3))))
    second = orders_file(s3_client, bucket, "b", Order("o-1", at(5), status="shipped", items=1), Order("o-9", at(5)))
    result = warehouse.load_batch(make_batch(ORDERS, second, run_id="run-2"))
    assert (result.inserted, result.updated, result.stale) == (1, 1, 0)
    assert result.child_rows == {"order_items": 2}
    assert orders(warehouse)["o-1"] == ("shipped", at(5))
    assert items(warehouse, "o-1") == [(1, "sku-1")]
    assert warehouse.query('SELECT COUNT(*) FROM "orders" WHERE "order_id" = ?', ["o-1"])[0][0] == 1


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
    assert (len(items(warehouse, "newest")), len(items(warehouse, "tie")), len(items(warehouse, "rec"))) == (2, 4, 2)
    assert result.child_rows == {"order_items": 8}


def test_older_version_arriving_later_is_stale_and_does_not_regress(warehouse, s3_client, bucket):
    first = orders_file(s3_client, bucket, "a", Order("o-1", at(10), "shipped", 2))
    warehouse.load_batch(make_batch(ORDERS, first))
    late = orders_file(s3_client, bucket, "b", Order("o-1", at(1), "pending", 5), Order("o-2", at(1)))
    result = warehouse.load_batch(make_batch(ORDERS, late))
    assert (result.inserted, result.updated, result.stale) == (1, 0, 1)
    assert orders(warehouse)["o-1"] == ("shipped", at(10))
    assert len(items(warehouse, "o-1")) == 2
    assert warehouse.loaded_versions(ORDERS, [late.source]) == {(late.source.key, late.source.etag)}


def test_ledger_records_every_file_once_with_its_status(warehouse, s3_client, bucket):
    good = orders_file(s3_client, bucket, "a", Order("o-1", at(0)))
    bad = rejected_file(bucket, ORDERS, "b", "quarantined")
    dead = rejected_file(bucket, ORDERS, "c", "dead_letter")
    other = rejected_file(bucket, ORDERS, "d")
    assert warehouse.loaded_versions(ORDERS, [good.source, bad.source]) == set()
    assert warehouse.ledger_by_partition(ORDERS, ["2026-11-20"]) in ({}, {"2026-11-20": set()})
    warehouse.load_batch(make_batch(ORDERS, good, bad, dead))
    versions = [f.source for f in (good, bad, dead, other)]
    assert warehouse.loaded_versions(ORDERS, versions) == {(f.key, f.etag) for f in versions[:3]}
    assert warehouse.ledger_statuses(ORDERS, versions) == {
        (good.source.key, good.source.etag): "loaded",
        (bad.source.key, bad.source.etag): "quarantined",
        (dead.source.key, dead.source.etag): "dead_letter",
    }
    assert warehouse.ledger_by_partition(ORDERS, ["2026-11-20", "2026-11-21"]) == {
        "2026-11-20": {(f.key, f.etag) for f in versions[:3]},
        "2026-11-21": set(),
    }
    statuses = warehouse.query('SELECT "status", "error", "rows" FROM "file_ledger" ORDER BY "key"')
    assert [tuple(row) for row in statuses] == [
        ("loaded", None, 1),
        ("quarantined", "b is not valid JSON", None),
        ("dead_letter", "c is not valid JSON", None),
    ]
    # The guard in SQL: the same file versions again add no ledger row and change no order.
    before = snapshot(warehouse)
    warehouse.load_batch(make_batch(ORDERS, good, bad, run_id="run-2"))
    assert snapshot(warehouse) == before


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


def test_failure_after_staging_rolls_back_everything_and_the_batch_loads_afterwards(warehouse, s3_client, bucket):
    warehouse.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3))))
    before = snapshot(warehouse)
    newer = orders_file(s3_client, bucket, "b", Order("o-1", at(5), "shipped", 1), Order("o-2", at(5)))
    calls = []

    def explode() -> None:
        calls.append(1)
        raise ValueError("boom after staging")  # bad data: not retried

    with pytest.raises(LoadError, match="boom after staging"):
        warehouse.load_batch(make_batch(ORDERS, newer), after_stage=explode)
    assert calls == [1]
    assert snapshot(warehouse) == before
    assert warehouse.load_batch(make_batch(ORDERS, newer)).updated == 1


def test_a_second_dataset_without_children_loads_through_the_same_backend(open_warehouse, s3_client, bucket):
    wh = open_warehouse(CUSTOMERS)
    first = data_file(s3_client, bucket, CUSTOMERS, "a", {"customers": [customer(1, 1, "Ann"), customer(2, 1, "Bo")]})
    second = data_file(
        s3_client, bucket, CUSTOMERS, "b", {"customers": [customer(1, 2, "Ann B."), customer(2, 0, "old Bo")]}
    )
    assert wh.load_batch(make_batch(CUSTOMERS, first)).inserted == 2
    result = wh.load_batch(make_batch(CUSTOMERS, second))
    assert (result.inserted, result.updated, result.stale, result.child_rows) == (0, 1, 1, {})
    rows = wh.query('SELECT "customer_id", "name", "vip" FROM "customers" ORDER BY 1')
    assert [tuple(row) for row in rows] == [(1, "Ann B.", True), (2, "Bo", False)]
    assert wh.loaded_versions(CUSTOMERS, [first.source, second.source]) == {
        (first.source.key, first.source.etag),
        (second.source.key, second.source.etag),
    }


def test_ensure_tables_adds_a_newly_declared_nullable_column(open_warehouse, s3_client, bucket):
    wh = open_warehouse(CUSTOMERS)
    wh.load_batch(
        make_batch(CUSTOMERS, data_file(s3_client, bucket, CUSTOMERS, "a", {"customers": [customer(1, 1, "Ann")]}))
    )
    evolved = dataclasses.replace(CUSTOMERS, columns=(*CUSTOMERS.columns, Column("email", "string", max_bytes=320)))
    wh.ensure_tables(evolved)
    wh.ensure_tables(evolved)  # idempotent
    assert columns_of(wh, "customers")[-1] == "email"
    assert [tuple(r) for r in wh.query('SELECT "email" FROM "customers"')] == [(None,)]
    # Parquet has email before the lineage columns, the altered table after them: merged by name.
    file = data_file(
        s3_client,
        bucket,
        evolved,
        "b",
        {"customers": [{**customer(1, 2, "Ann"), "email": "a@x.io"}, {**customer(2, 1, "Bo"), "email": None}]},
    )
    result = wh.load_batch(make_batch(evolved, file))
    assert (result.inserted, result.updated) == (1, 1)
    rows = wh.query('SELECT "customer_id", "email", "version" FROM "customers" ORDER BY 1')
    assert [tuple(r) for r in rows] == [(1, "a@x.io", 2), (2, None, 1)]


RESERVED = Dataset(
    name="group",
    merge_key=("select",),
    version_column="order",
    event_time_column="from",
    columns=(
        Column("select", "string", nullable=False, max_bytes=16),
        Column("order", "int32", nullable=False),
        Column("from", "timestamp", nullable=False),
        Column("user", "string"),
    ),
    children=(
        ChildTable(name="table", source="where", position_column="limit", columns=(Column("column", "string"),)),
    ),
)


def test_reserved_words_as_table_and_column_names(open_warehouse, s3_client, bucket):
    wh = open_warehouse(RESERVED)
    parent = {"select": "k", "order": 1, "from": T0, "user": "u"}
    child = {"select": "k", "limit": 1, "column": "x"}
    first = data_file(s3_client, bucket, RESERVED, "a", {"group": [parent], "table": [child]})
    wh.load_batch(make_batch(RESERVED, first))
    newer = data_file(
        s3_client,
        bucket,
        RESERVED,
        "b",
        {"group": [{**parent, "order": 2, "from": at(1)}], "table": [{**child, "column": "y"}]},
    )
    assert wh.load_batch(make_batch(RESERVED, newer)).updated == 1
    assert [tuple(r) for r in wh.query('SELECT "order", "user" FROM "group"')] == [(2, "u")]
    assert [tuple(r) for r in wh.query('SELECT "limit", "column" FROM "table"')] == [(1, "y")]


def test_load_history_has_one_row_per_file_version_with_its_status_and_lag(warehouse, s3_client, bucket):
    first = orders_file(s3_client, bucket, "a", Order("o-1", at(0)))
    bad = rejected_file(bucket, ORDERS, "b", "quarantined")
    dead = rejected_file(bucket, ORDERS, "c", "dead_letter")
    warehouse.load_batch(make_batch(ORDERS, first, bad, dead))
    # a second version of the first file's key, landed later and loaded by another run: a row of its own
    again = dataclasses.replace(first.source, etag="second-version", last_modified=at(3))
    second = data_file(s3_client, bucket, ORDERS, "a", {"orders": [], "order_items": []}, source=again)
    warehouse.load_batch(make_batch(ORDERS, second, run_id="run-2"))

    history = warehouse.load_history(ORDERS, ["2026-11-20", "2026-11-21"])
    by_version = {(row.key, row.etag): row for row in history}
    assert len(history) == len(by_version) == 4
    expected = {
        (first.source.key, first.source.etag): ("loaded", 1, "run-1", T0),
        (bad.source.key, bad.source.etag): ("quarantined", None, "run-1", T0),
        (dead.source.key, dead.source.etag): ("dead_letter", None, "run-1", T0),
        (again.key, again.etag): ("loaded", 0, "run-2", at(3)),
    }
    rows = warehouse.query(
        'SELECT "key", "etag", "status", "rows", "run_id", "landed_at", "loaded_at", "lag_seconds", "error", '
        '"partition", "dataset" FROM "load_history"'
    )
    assert len(rows) == 4
    for key, etag, status, count, run_id, landed_at, loaded_at, lag, error, partition, dataset in rows:
        assert (status, count, run_id, landed_at) == expected[(key, etag)]
        assert (partition, dataset) == ("2026-11-20", "orders")
        assert abs(float(lag) - (loaded_at - landed_at).total_seconds()) < 0.001
        assert float(lag) > 0
        assert error == {"quarantined": "b is not valid JSON", "dead_letter": "c is not valid JSON"}.get(status)
        row = by_version[(key, etag)]
        assert (row.status, row.rows, row.landed_at, row.loaded_at) == (status, count, landed_at, loaded_at)
        assert row.lag_seconds == float(lag)
    assert warehouse.load_history(ORDERS, ["2026-11-21"]) == []


def test_load_history_view_comes_with_the_ledger_and_survives_ensure_tables_again(open_warehouse):
    wh = open_warehouse(ORDERS)
    wh.ensure_tables(ORDERS)
    assert wh.query('SELECT COUNT(*) FROM "load_history"')[0][0] == 0
