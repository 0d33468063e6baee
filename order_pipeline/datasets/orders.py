"""The orders dataset: one order per record, its line items as a child table."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset, RecordRule
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
PAYMENT_METHODS = ("card", "paypal", "bank_transfer", "gift_card", "apple_pay")
ZERO = Decimal("0")


def _cents(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Money (decimal with scale 2) as int64 cents; nulls count as 0 (null checks are not this rule's job)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if (
        pa.types.is_decimal128(values.type)
        and values.type.scale == 2
        and values.type.precision <= 18
        and sys.byteorder == "little"
        and len(values)
    ):
        # The unscaled integer of a decimal with scale 2 is the amount in cents, and up to 18 digits it fits the
        # low 64-bit word of each 128-bit value: read it instead of computing it (three kernels fewer).
        words = np.frombuffer(values.buffers()[1], dtype=np.int64)
        cents = words[2 * values.offset : 2 * (values.offset + len(values)) : 2].copy()
        if values.null_count:
            cents[~np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)] = 0
        return cents
    scaled = pc.multiply(pc.cast(values, pa.decimal128(20, 2)), pa.scalar(Decimal(100), pa.decimal128(5, 0)))
    return pc.fill_null(pc.cast(scaled, pa.int64()), 0).to_numpy()


def _items_cents_by_order(orders: pa.Table, children: Mapping[str, pa.Table]) -> np.ndarray:
    """Sum of quantity * unit_price in cents per order row, aligned with `orders` (0 for no items)."""
    items = children["order_items"]
    if not items.num_rows:
        return np.zeros(orders.num_rows, dtype=np.int64)
    quantity = pc.fill_null(items["quantity"], 0).to_numpy().astype(np.int64)
    amount = quantity * _cents(items["unit_price"])
    rows = items["_parent_row"].to_numpy()
    sums = np.zeros(orders.num_rows, dtype=np.int64)
    np.add.at(sums, rows, amount)
    return sums


def _within_a_cent(left: np.ndarray, right: np.ndarray) -> pa.Array:
    return pa.array(np.abs(left - right) <= 1)


def subtotal_matches_items(orders: pa.Table, children: Mapping[str, pa.Table]) -> pa.Array:
    return _within_a_cent(_cents(orders["subtotal"]), _items_cents_by_order(orders, children))


def total_adds_up(orders: pa.Table, children: Mapping[str, pa.Table]) -> pa.Array:
    parts = _cents(orders["subtotal"]) + _cents(orders["shipping"]) + _cents(orders["tax"])
    return _within_a_cent(_cents(orders["total"]), parts)


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
