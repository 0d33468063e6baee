"""Datasets other than orders through the same DuckDB backend: no orders-specific code, schema evolution,
reserved words as names."""

from __future__ import annotations

import dataclasses

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline_tests.support.customers import CUSTOMERS
from order_pipeline_tests.support.warehouse_batches import (
    T0,
    at,
    customer,
    data_file,
    make_batch,
)


def columns_of(wh: DuckDBWarehouse, table: str) -> list[str]:
    return [
        r[0]
        for r in wh.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        )
    ]


def test_a_second_dataset_without_children_loads_through_the_same_backend(tmp_path, s3_client, bucket):
    wh = DuckDBWarehouse(tmp_path / "c.duckdb", s3_client)
    wh.ensure_tables(CUSTOMERS)
    first = data_file(
        s3_client, bucket, CUSTOMERS, "a", {"customers": [customer(1, 1, "Ann"), customer(2, 1, "Bo")]}
    )
    second = data_file(
        s3_client, bucket, CUSTOMERS, "b", {"customers": [customer(1, 2, "Ann B."), customer(2, 0, "old Bo")]}
    )
    assert wh.load_batch(make_batch(CUSTOMERS, first)).inserted == 2
    result = wh.load_batch(make_batch(CUSTOMERS, second))
    assert (result.inserted, result.updated, result.stale, result.child_rows) == (0, 1, 1, {})
    rows = wh.query('SELECT "customer_id", "name", "vip" FROM "customers" ORDER BY 1')
    assert rows == [(1, "Ann B.", True), (2, "Bo", False)]
    assert wh.loaded_versions(CUSTOMERS, [first.source, second.source]) == {
        (first.source.key, first.source.etag),
        (second.source.key, second.source.etag),
    }
    wh.close()


def test_ensure_tables_adds_a_newly_declared_nullable_column(tmp_path, s3_client, bucket):
    wh = DuckDBWarehouse(tmp_path / "e.duckdb", s3_client)
    wh.ensure_tables(CUSTOMERS)
    wh.load_batch(
        make_batch(
            CUSTOMERS, data_file(s3_client, bucket, CUSTOMERS, "a", {"customers": [customer(1, 1, "Ann")]})
        )
    )
    evolved = dataclasses.replace(
        CUSTOMERS, columns=(*CUSTOMERS.columns, Column("email", "string", max_bytes=320))
    )
    wh.ensure_tables(evolved)
    wh.ensure_tables(evolved)  # idempotent
    assert columns_of(wh, "customers")[-1] == "email"
    assert wh.query('SELECT "email" FROM "customers"') == [(None,)]
    # Parquet has email before the lineage columns, the altered table after them: merged by name.
    file = data_file(
        s3_client, bucket, evolved, "b", {"customers": [{**customer(1, 2, "Ann"), "email": "a@x.io"}]}
    )
    assert wh.load_batch(make_batch(evolved, file)).updated == 1
    assert wh.query('SELECT "email", "version" FROM "customers"') == [("a@x.io", 2)]
    wh.close()


RESERVED = Dataset(
    name="group",
    merge_key=("select",),
    version_column="order",
    event_time_column="from",
    columns=(
        Column("select", "string", nullable=False, max_bytes=16),
        Column("order", "int32", nullable=False),
        Column("from", "timestamp", nullable=False),
        Column("user", "json"),
    ),
    children=(
        ChildTable(
            name="table", source="where", position_column="limit", columns=(Column("column", "string"),)
        ),
    ),
)


def test_reserved_words_as_table_and_column_names(tmp_path, s3_client, bucket):
    wh = DuckDBWarehouse(tmp_path / "r.duckdb", s3_client)
    wh.ensure_tables(RESERVED)
    parent = {"select": "k", "order": 1, "from": T0, "user": '{"a": 1}'}
    child = {"select": "k", "limit": 1, "column": "x"}
    wh.load_batch(
        make_batch(
            RESERVED, data_file(s3_client, bucket, RESERVED, "a", {"group": [parent], "table": [child]})
        )
    )
    newer = data_file(
        s3_client,
        bucket,
        RESERVED,
        "b",
        {"group": [{**parent, "order": 2, "from": at(1)}], "table": [{**child, "column": "y"}]},
    )
    assert wh.load_batch(make_batch(RESERVED, newer)).updated == 1
    assert wh.query('SELECT "order", "user" FROM "group"') == [(2, '{"a": 1}')]
    assert wh.query('SELECT "limit", "column" FROM "table"') == [(1, "y")]
    wh.close()
