"""The orders dataset: one order per record, its line items as a child table."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset, RecordRule
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY

if TYPE_CHECKING:  # the rules' module imports pyarrow and numpy: only a run checking records loads it
    import pyarrow as pa

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
PAYMENT_METHODS = ("card", "paypal", "bank_transfer", "gift_card", "apple_pay")
ZERO = Decimal("0")


def subtotal_matches_items(orders: pa.Table, children: Mapping[str, pa.Table]) -> pa.Array:
    from order_pipeline.datasets import orders_rules

    return orders_rules.subtotal_matches_items(orders, children)


def total_adds_up(orders: pa.Table, children: Mapping[str, pa.Table]) -> pa.Array:
    from order_pipeline.datasets import orders_rules

    return orders_rules.total_adds_up(orders, children)


def _money(name: str, description: str, source: str | None = None) -> Column:
    return Column(
        name, "decimal", source=source, nullable=False, precision=12, scale=2, min_value=ZERO, description=description
    )


ORDER_ITEMS = ChildTable(
    name="order_items",
    source="items",
    position_column="line_number",
    min_items=1,
    max_items=100,
    description="Line items of an order; replaced as a whole when the order is upserted.",
    columns=(
        Column("sku", "string", nullable=False, max_bytes=64, description="Stock keeping unit"),
        Column("quantity", "int32", nullable=False, min_value=1, max_value=10_000, description="Units ordered"),
        _money("unit_price", "Price of one unit, in the order currency"),
    ),
)

ORDERS = Dataset(
    name="orders",
    description="Customer orders landing as JSON / JSON Lines / Parquet files; upserted on order_id.",
    owners=("team:data-engineering",),
    group_name="orders",
    sensor_name="s3_order_files_sensor",
    derived=(DAILY_ORDER_SUMMARY,),
    merge_key=("order_id",),
    version_column="updated_at",
    event_time_column="order_ts",
    children=(ORDER_ITEMS,),
    max_bad_records=100,
    max_bad_ratio=0.5,
    columns=(
        Column(
            "order_id",
            "string",
            nullable=False,
            max_bytes=64,
            pattern=r"[A-Za-z0-9_\-:.]{1,64}",
            description="Business key of the order",
        ),
        Column("customer_id", "string", nullable=False, max_bytes=64, description="Who ordered"),
        Column("order_ts", "timestamp", nullable=False, description="When the order was placed (UTC)"),
        Column(
            "status", "string", nullable=False, max_bytes=16, allowed=ORDER_STATUSES, description="Lifecycle status"
        ),
        Column(
            "currency", "string", nullable=False, max_bytes=3, pattern=r"[A-Z]{3}", description="ISO-4217 currency code"
        ),
        Column(
            "payment_method",
            "string",
            nullable=True,
            max_bytes=32,
            allowed=PAYMENT_METHODS,
            description="How the order was paid",
        ),
        Column("ship_name", "string", source="shipping_address.name", max_bytes=256, sensitive=True),
        Column("ship_street", "string", source="shipping_address.street", max_bytes=256, sensitive=True),
        Column("ship_city", "string", source="shipping_address.city", max_bytes=128),
        Column("ship_postal_code", "string", source="shipping_address.postal_code", max_bytes=32, sensitive=True),
        Column("ship_country", "string", source="shipping_address.country", max_bytes=2, pattern=r"[A-Z]{2}"),
        _money("subtotal", "Sum of quantity * unit_price over the items"),
        _money("shipping", "Shipping charge"),
        _money("tax", "Tax charged"),
        _money("total", "subtotal + shipping + tax"),
        Column(
            "updated_at",
            "timestamp",
            nullable=False,
            description="When this version of the order was produced; the latest version wins",
        ),
    ),
    rules=(
        RecordRule(
            "subtotal_matches_items",
            "subtotal differs from the sum of quantity * unit_price by more than a cent",
            subtotal_matches_items,
            field="subtotal",
        ),
        RecordRule(
            "total_adds_up",
            "total differs from subtotal + shipping + tax by more than a cent",
            total_adds_up,
            field="total",
        ),
    ),
)
