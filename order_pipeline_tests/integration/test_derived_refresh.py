"""Derived tables refreshed for what changed, on both backends: after any sequence of loads (new orders, updates
moving an order across dates, stale versions, re-uploads, duplicates in a batch) the summary equals a full
rebuild; the refresh replaces rows in place (a grant and a view survive); the checks are scoped to the batch."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from order_pipeline.commands.rebuild_derived import rebuild
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY
from order_pipeline.warehouse.base import LoadBatch, Warehouse
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline.warehouse.sql_derived import select_rows_sql
from order_pipeline_tests.support.derived_loads import DAY0, LoadSequence, Version, versions_file
from order_pipeline_tests.support.warehouses import warehouses_under_test

ROLE = "arn:aws:iam::123456789012:role/local-loader"
SEEDS = (1, 2, 3, 4)
LOADS = 12


@pytest.fixture(params=warehouses_under_test())
def warehouse(request, tmp_path, s3_client, bucket) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        wh: Warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb", s3_client)
    else:
        wh = RedshiftWarehouse(
            request.getfixturevalue("redshift_connect"),
            s3_client,
            iam_role=ROLE,
            manifest_prefix=f"s3://{bucket}/_manifests/",
            serverless=False,
            base_delay=0.05,
        )
    wh.ensure_tables(ORDERS)
    yield wh
    wh.close()


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(str(value) for value in row)


def summary(wh: Warehouse) -> list[tuple[Any, ...]]:
    return [_plain(r) for r in wh.query('SELECT * FROM "daily_order_summary" ORDER BY 1')]


def full_rebuild(wh: Warehouse) -> list[tuple[Any, ...]]:
    return [_plain(r) for r in wh.query(f"{select_rows_sql(ORDERS, DAILY_ORDER_SUMMARY)} ORDER BY 1")]


@pytest.mark.parametrize("seed", SEEDS)
def test_any_sequence_of_loads_leaves_the_summary_equal_to_a_full_rebuild(warehouse, s3_client, bucket, seed):
    loads = LoadSequence(random.Random(seed))
    for _ in range(LOADS):
        result = warehouse.load_batch(loads.next_batch(s3_client, bucket))
        assert result.duplicate_keys == 0
        if loads.rng.random() < 0.6:  # sometimes several loads before one refresh: pending groups pile up
            refresh = warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)
            assert refresh.check is None or refresh.check[0] == refresh.check[1]
            assert summary(warehouse) == full_rebuild(warehouse), f"seed {seed}, after load {loads.loads}"
    warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)
    assert summary(warehouse) == full_rebuild(warehouse), f"seed {seed}"
    held = {oid: str(status) for oid, status in warehouse.query('SELECT "order_id", "status" FROM "orders"')}
    assert held == {oid: v.status for oid, v in loads.latest.items()}  # the loads themselves as modelled


def test_an_update_moving_an_order_out_of_a_date_refreshes_both_dates(warehouse, s3_client, bucket):
    first = Version("o-1", DAY0 + timedelta(hours=23, minutes=59), DAY0, "paid", (2,))
    other = Version("o-2", DAY0 + timedelta(hours=1), DAY0, "paid", (1,))
    warehouse.load_batch(_batch(s3_client, bucket, "a", first, other))
    assert warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY).full  # a first fill is whole
    moved = Version("o-1", DAY0 + timedelta(days=1, minutes=1), DAY0 + timedelta(hours=1), "shipped", (5,))
    warehouse.load_batch(_batch(s3_client, bucket, "b", moved))

    refresh = warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)

    assert not refresh.full
    assert [str(g) for g in refresh.groups] == ["2026-11-18", "2026-11-19"]  # moved out of, moved into
    assert refresh.check == (2, 2)
    assert [r[:3] for r in summary(warehouse)] == [("2026-11-18", "1", "1"), ("2026-11-19", "1", "5")]
    assert warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY).groups == ()  # nothing pending any more


def test_the_refresh_touches_only_the_dates_the_batch_touched(warehouse, s3_client, bucket):
    days = [Version(f"o-{d}", DAY0 + timedelta(days=d, hours=3), DAY0, "paid", (1,)) for d in range(5)]
    warehouse.load_batch(_batch(s3_client, bucket, "a", *days))
    warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)
    # a row of an untouched date, changed by hand: a refresh that rewrote everything would repair it
    warehouse.query('UPDATE "daily_order_summary" SET "order_count" = 99 WHERE "order_date" = DATE \'2026-11-18\'')
    warehouse.load_batch(_batch(s3_client, bucket, "b", Version("o-new", DAY0 + timedelta(days=3), DAY0, "paid", ())))

    refresh = warehouse.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)

    assert [str(g) for g in refresh.groups] == ["2026-11-21"]
    assert refresh.rows == 1
    counts = {r[0]: r[1] for r in summary(warehouse)}
    assert counts["2026-11-18"] == "99" and counts["2026-11-21"] == "2"
    (full,) = rebuild(warehouse, [ORDERS])  # the repair command's rebuild puts it right
    assert full.full and full.check == (6, 6)
    assert summary(warehouse) == full_rebuild(warehouse)


def test_the_merge_key_check_covers_the_keys_the_batch_merged(warehouse, s3_client, bucket):
    warehouse.load_batch(_batch(s3_client, bucket, "a", Version("o-1", DAY0, DAY0, "paid", (1,))))
    # a duplicate the load did not make (written by hand): outside this batch's keys, not its check's business
    warehouse.query('INSERT INTO "orders" SELECT * FROM "orders" WHERE "order_id" = \'o-1\'')
    clean = warehouse.load_batch(_batch(s3_client, bucket, "b", Version("o-2", DAY0, DAY0, "paid", (1,))))
    assert (clean.merged_keys, clean.duplicate_keys) == (1, 0)
    touching = warehouse.load_batch(
        _batch(s3_client, bucket, "c", Version("o-1", DAY0, DAY0 + timedelta(hours=1), "shipped", (1,)))
    )
    if warehouse.dialect == "redshift":
        assert (touching.merged_keys, touching.duplicate_keys) == (1, 1)  # the batch merged o-1: it sees both rows
    else:  # DuckDB replaces merged keys (DELETE + INSERT): the hand-made duplicate goes with the old row
        assert (touching.merged_keys, touching.duplicate_keys) == (1, 0)
        assert warehouse.query('SELECT COUNT(*) FROM "orders" WHERE "order_id" = \'o-1\'') == [(1,)]


@pytest.mark.parametrize("backend", ["redshift"])
def test_a_grant_and_a_view_on_the_summary_survive_ten_loads(backend, redshift_endpoint, s3_client, bucket, request):
    if backend not in warehouses_under_test():
        pytest.skip(f"{backend} not under test")
    connect = request.getfixturevalue("redshift_connect")
    wh = RedshiftWarehouse(
        connect, s3_client, iam_role=ROLE, manifest_prefix=f"s3://{bucket}/_manifests/", serverless=False
    )
    reader = f"reader_{uuid.uuid4().hex[:8]}"
    try:
        wh.ensure_tables(ORDERS)
        wh.query(f"CREATE USER {reader} PASSWORD 'Reader-pass-1'")
        wh.query(f'GRANT SELECT ON "daily_order_summary" TO {reader}')
        wh.query('CREATE VIEW "summary_report" AS SELECT "order_date", "order_count" FROM "daily_order_summary"')
        loads = LoadSequence(random.Random(10))
        for _ in range(10):
            wh.load_batch(loads.next_batch(s3_client, bucket))
            wh.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)
        rebuild(wh, [ORDERS])  # the repair command too: in place

        granted = wh.query(f"SELECT has_table_privilege('{reader}', 'daily_order_summary', 'SELECT')")
        assert granted == [(True,)]
        view = [_plain(r) for r in wh.query('SELECT * FROM "summary_report" ORDER BY 1')]
        assert view == [r[:2] for r in full_rebuild(wh)] and view
    finally:
        wh.query('DROP VIEW IF EXISTS "summary_report"')
        wh.query(f'REVOKE ALL ON "daily_order_summary" FROM {reader}')
        wh.query(f"DROP USER IF EXISTS {reader}")
        wh.close()


def _batch(s3_client: Any, bucket: str, name: str, *versions: Version) -> LoadBatch:
    file = versions_file(s3_client, bucket, f"landing/orders/2026/11/21/{name}.jsonl", list(versions))
    return LoadBatch(dataset=ORDERS, partition="2026-11-21", run_id=f"run-{name}", files=(file,))
