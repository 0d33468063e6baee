"""analytics.daily_order_summary: per order date (UTC), over the latest version of every order.

Grouped by the UTC date of `order_ts`: a load refreshes only the dates its batch touched (including a date an
updated order moved out of). Definitions (the tests' `daily_summary` oracle computes the same): order_count =
orders placed that day; item_quantity = Σ quantity of their items; gross_revenue = Σ total;
cancelled_count = orders whose status is cancelled or refunded.
Portable SQL: runs unchanged on DuckDB, PostgreSQL and Redshift.
"""

from __future__ import annotations

from order_pipeline.datasets.declaration import Column, DerivedCheck, DerivedGroups, DerivedTable

DAILY_ORDER_SUMMARY = DerivedTable(
    name="daily_order_summary",
    description="Orders, item quantity, gross revenue and cancellations per order date (UTC).",
    columns=(
        Column("order_date", "date", description="UTC date the orders were placed"),
        Column("order_count", "int64"),
        Column("item_quantity", "int64"),
        Column("gross_revenue", "decimal", precision=18, scale=2),
        Column("cancelled_count", "int64"),
    ),
    select_sql="""
SELECT CAST(o."order_ts" AT TIME ZONE 'UTC' AS DATE) AS "order_date",
       COUNT(*) AS "order_count",
       CAST(SUM(COALESCE(i."item_quantity", 0)) AS BIGINT) AS "item_quantity",
       CAST(SUM(o."total") AS DECIMAL(18, 2)) AS "gross_revenue",
       CAST(SUM(CASE WHEN o."status" IN ('cancelled', 'refunded') THEN 1 ELSE 0 END) AS BIGINT) AS "cancelled_count"
FROM {parents} AS o
LEFT JOIN (
    SELECT "order_id", SUM("quantity") AS "item_quantity" FROM "order_items"
    WHERE {child_key_range} AND "order_id" IN (SELECT p."order_id" FROM {parents} AS p)
    GROUP BY "order_id"
) AS i ON i."order_id" = o."order_id"
GROUP BY 1
""".strip(),
    groups=DerivedGroups(key="order_date", column="order_ts", grain="utc_date"),
    check=DerivedCheck(
        name="daily_order_summary_counts_every_order",
        description="Σ order_count equals the number of rows in orders.",
        sql='SELECT (SELECT COALESCE(SUM("order_count"), 0) FROM "daily_order_summary" WHERE {derived_scope}), '
        '(SELECT COUNT(*) FROM "orders" WHERE {parent_scope})',
        labels=("summary_orders", "orders"),
    ),
)
