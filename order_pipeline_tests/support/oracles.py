"""The oracles: what the warehouse must hold for a set of generated order records, computed independently of
the pipeline (plain Python over the records)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from order_pipeline.datasets.orders_generator import parse_ts

_CANCELLED = frozenset({"cancelled", "refunded"})


def latest_versions(orders: Iterable[dict]) -> dict[str, dict]:
    """The expected warehouse content: per order_id, the record with the latest `updated_at`.

    On equal `updated_at` the later record in input order wins (the warehouse's "then file order").
    """
    latest: dict[str, tuple[datetime, dict]] = {}
    for order in orders:
        version = parse_ts(order["updated_at"])
        current = latest.get(order["order_id"])
        if current is None or version >= current[0]:
            latest[order["order_id"]] = (version, order)
    return {order_id: order for order_id, (_, order) in latest.items()}


def _decimal(value: object) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def daily_summary(orders: Iterable[dict]) -> dict[str, dict]:
    """The expected daily analytics, over the latest versions of `orders`, keyed by ISO date, sorted.

    Per UTC date of `order_ts` (the order date, not the landing date):
      - `order_count`: number of orders (every status);
      - `item_quantity`: sum of `quantity` over their line items;
      - `gross_revenue`: sum of `total` as an exact Decimal (every status, cancelled and refunded included,
        all currencies added as they are, no conversion);
      - `cancelled_count`: number of orders whose status is `cancelled` or `refunded`.
    """
    summary: dict[str, dict] = {}
    for order in latest_versions(orders).values():
        day = parse_ts(order["order_ts"]).date().isoformat()
        row = summary.setdefault(
            day, {"order_count": 0, "item_quantity": 0, "gross_revenue": Decimal("0.00"), "cancelled_count": 0}
        )
        row["order_count"] += 1
        row["item_quantity"] += sum(item["quantity"] for item in order["items"])
        row["gross_revenue"] += _decimal(order["total"])
        row["cancelled_count"] += order["status"] in _CANCELLED
    return dict(sorted(summary.items()))
