"""The orders dataset's cross-field rules, vectorised on a normalised batch (see `RuleCheck` in declaration.py).

Their own module so that the declaration (`orders.py`), which a code location loads, imports no numpy or pyarrow:
a run worker imports them when its first batch is checked."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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
