"""The batch's merge-key range as constant predicates (warehouse/sql_keyrange.py) in every key join of a load,
the batch-scoped merge-key check, the capture of moved-out dates and the summary's child rows."""

from __future__ import annotations

from datetime import date

import pytest

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY
from order_pipeline.warehouse import sql_checks, sql_derived, sql_keyrange, sql_load

KEY = sql_keyrange.key_range(ORDERS, "o-0001", "o-0999")
RANGE = "BETWEEN 'o-0001' AND 'o-0999'"

COMPOSITE = Dataset(
    name="lines",
    merge_key=("shop", "line"),
    event_time_column="ts",
    columns=(
        Column("shop", "int64", nullable=False),
        Column("line", "string", nullable=False),
        Column("ts", "timestamp", nullable=False),
    ),
)


def test_the_range_bounds_the_target_side_of_every_key_join_of_a_load():
    assert f'"orders"."order_id" {RANGE}' in sql_load.stale_delete_sql(ORDERS, KEY)
    assert f'"orders"."order_id" {RANGE}' in sql_load.matched_count_sql(ORDERS, KEY)
    merge = sql_load.merge_sql(ORDERS, "redshift", KEY)
    assert f'ON "orders"."order_id" = "s"."order_id" AND "orders"."order_id" {RANGE} WHEN MATCHED' in merge
    assert f'"order_items"."order_id" {RANGE}' in sql_load.child_delete_sql(ORDERS, "order_items", KEY)
    assert f'"t"."order_id" {RANGE}' in sql_checks.merged_duplicates_sql(ORDERS, KEY)
    assert f'"t"."order_id" {RANGE}' in sql_derived.capture_replaced_groups_sql(ORDERS, DAILY_ORDER_SUMMARY, KEY)


def test_without_a_range_the_statements_are_as_before():
    assert "BETWEEN" not in sql_load.stale_delete_sql(ORDERS)
    assert sql_load.merge_sql(ORDERS, "duckdb", None) == sql_load.merge_sql(ORDERS)
    assert sql_load.child_delete_sql(ORDERS, "order_items", None) == sql_load.child_delete_sql(ORDERS, "order_items")
    assert "BETWEEN" not in sql_checks.merged_duplicates_sql(ORDERS)


def test_the_summary_bounds_its_child_rows_by_the_parents_key_range_and_a_rebuild_reads_them_all():
    scope = sql_derived.parent_scope(DAILY_ORDER_SUMMARY, [date(2026, 11, 18)])
    scoped = sql_derived.select_rows_sql(ORDERS, DAILY_ORDER_SUMMARY, scope, KEY)
    assert f'FROM "order_items"\n    WHERE "order_id" {RANGE} AND "order_id" IN' in scoped
    whole = sql_derived.select_rows_sql(ORDERS, DAILY_ORDER_SUMMARY)
    assert 'WHERE 1 = 1 AND "order_id" IN' in whole and "{child_key_range}" not in whole
    assert sql_keyrange.key_bounds_sql(ORDERS, "orders", scope) == (
        f'SELECT MIN("order_id"), MAX("order_id"), COUNT(*) FROM "orders" WHERE {scope}'
    )


def test_literals_are_quoted_and_unsafe_or_missing_bounds_give_no_range():
    key = sql_keyrange.key_range(ORDERS, "o'1", "o'9")
    assert key is not None and key.predicate("t") == "\"t\".\"order_id\" BETWEEN 'o''1' AND 'o''9'"
    assert sql_keyrange.key_range(ORDERS, None, None) is None  # empty stage
    assert sql_keyrange.key_range(ORDERS, "a\\b", "z") is None  # the literal helper refuses a backslash
    assert sql_keyrange.key_range(ORDERS, 1, 2) is None  # not the declared kind


@pytest.mark.parametrize(("low", "high", "expected"), [(3, 17, '"shop" BETWEEN 3 AND 17'), ("3", "17", None)])
def test_a_composite_key_is_bounded_on_its_first_column_only(low, high, expected):
    assert sql_keyrange.range_column(COMPOSITE) == "shop"
    assert sql_keyrange.key_bounds_sql(COMPOSITE, "stage_lines") == (
        'SELECT MIN("shop"), MAX("shop"), COUNT(*) FROM "stage_lines"'
    )
    key = sql_keyrange.key_range(COMPOSITE, low, high)
    assert (key.predicate() if key else None) == expected
    if key:
        assert '"lines"."shop" BETWEEN 3 AND 17' in sql_load.stale_delete_sql(COMPOSITE, key)
