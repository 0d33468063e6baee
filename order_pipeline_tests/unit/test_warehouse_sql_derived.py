"""The derived-refresh SQL (warehouse/sql_derived.py): groups found by ranges of the parent's sort key, in place."""

from __future__ import annotations

from datetime import date

import pytest

from order_pipeline.datasets.declaration import Column, DerivedTable
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY
from order_pipeline.warehouse import sql_derived


def test_dates_in_scope_are_half_open_ranges_of_the_sort_key_one_per_run_of_days():
    days = [date(2026, 11, 19), date(2026, 11, 18), date(2026, 11, 21)]
    ts = "TIMESTAMPTZ '2026-11-{} 00:00:00+00'".format
    assert sql_derived.parent_scope(DAILY_ORDER_SUMMARY, days) == (
        f'(("order_ts" >= {ts(18)} AND "order_ts" < {ts(20)}) OR ("order_ts" >= {ts(21)} AND "order_ts" < {ts(22)}))'
    )
    assert sql_derived.derived_scope(DAILY_ORDER_SUMMARY, days) == (
        "\"order_date\" IN (DATE '2026-11-18', DATE '2026-11-19', DATE '2026-11-21')"
    )
    assert sql_derived.parent_scope(DAILY_ORDER_SUMMARY, []) == "1 = 0"


def test_a_refresh_never_drops_or_creates_the_table():
    statements = [
        sql_derived.delete_rows_sql(DAILY_ORDER_SUMMARY),
        sql_derived.insert_rows_sql(ORDERS, DAILY_ORDER_SUMMARY, sql_derived.parent_scope(DAILY_ORDER_SUMMARY, [])),
        sql_derived.delete_pending_sql(DAILY_ORDER_SUMMARY),
    ]
    assert all("DROP" not in s and "CREATE" not in s for s in statements)
    assert sql_derived.derived_table_sql(DAILY_ORDER_SUMMARY, "redshift").startswith(
        'CREATE TABLE IF NOT EXISTS "daily_order_summary"'
    )


def test_the_scoped_select_reads_only_the_parents_in_scope_and_their_children():
    scoped = sql_derived.select_rows_sql(ORDERS, DAILY_ORDER_SUMMARY, "X")
    assert scoped.count('(SELECT * FROM "orders" WHERE X)') == 2  # the parents, and the children through them
    assert "{parents}" not in scoped


def test_the_checks_scope_both_sides_to_the_refreshed_dates():
    full = sql_derived.check_sql(DAILY_ORDER_SUMMARY)
    assert full.count("1 = 1") == 2
    scoped = sql_derived.check_sql(DAILY_ORDER_SUMMARY, [date(2026, 11, 18)])
    assert "DATE '2026-11-18'" in scoped and "TIMESTAMPTZ '2026-11-19 00:00:00+00'" in scoped


def test_a_declaration_must_read_its_parents_through_the_placeholder():
    with pytest.raises(ValueError, match="parents"):
        DerivedTable("t", 'SELECT 1 FROM "orders"', (Column("a", "int64"),))
