"""The asset keys the definitions must keep: a renamed key orphans its history in the UI."""

EXPECTED_KEYS = {
    "raw/orders_json",
    "lake/orders_parquet",
    "lake/order_items_parquet",
    "warehouse/orders",
    "warehouse/order_items",
    "analytics/daily_order_summary",
}
