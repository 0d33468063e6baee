"""Hand-built order records (the input JSON shape) and writers for conversion tests."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson

_BASE: dict[str, Any] = {
    "order_id": "ORD-20261120-000001",
    "customer_id": "CUST-00042",
    "order_ts": "2026-11-20T10:11:12.123456Z",
    "status": "paid",
    "currency": "USD",
    "payment_method": "card",
    "shipping_address": {
        "name": "Ana Smith",
        "street": "1 Main St",
        "city": "Springfield",
        "postal_code": "12345",
        "country": "US",
    },
    "items": [
        {"sku": "SKU-1234", "quantity": 2, "unit_price": 19.99},
        {"sku": "SKU-0001", "quantity": 1, "unit_price": "0.30"},
    ],
    "subtotal": 40.28,
    "shipping": 5.0,
    "tax": 3.2,
    "total": 48.48,
    "updated_at": "2026-11-20T10:12:00Z",
}


def order(number: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid order; `overrides` replace top-level fields (a value of ... removes the field)."""
    record = copy.deepcopy(_BASE)
    record["order_id"] = f"ORD-20261120-{number:06d}"
    for key, value in overrides.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def jsonl_bytes(records: list[Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def write_jsonl(path: Path, records: list[Any], *, gzip_it: bool = False) -> Path:
    data = jsonl_bytes(records)
    path.write_bytes(gzip.compress(data) if gzip_it else data)
    return path
