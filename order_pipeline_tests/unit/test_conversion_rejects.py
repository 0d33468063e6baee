"""Per-record validation: each rule rejects with the right field, reason, record and line."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order, write_jsonl

SOURCE = "s3://bucket/landing/orders/a.jsonl"


def _convert_one_bad(tmp_path: Path, bad: Any, dataset=ORDERS) -> dict:
    """Convert [good, bad, good, good] and return the one reject report."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        jsonl_bytes([order(1)])
        + (bad if isinstance(bad, bytes) else jsonl_bytes([bad]))
        + jsonl_bytes([order(3), order(4)])
    )
    result = convert_file(dataset, path, tmp_path / "out", source_name=SOURCE)
    assert result.status == "partial" and result.rejected_records == 1 and result.total_records == 4
    assert result.rows["orders"] == 3 and result.rows["order_items"] == 6
    kept = pq.read_table(result.outputs["orders"])["_source_record"].to_pylist()
    assert kept == [1, 3, 4]
    lines = result.rejects_path.read_bytes().splitlines()
    assert len(lines) == 1 and orjson.loads(lines[0]) == result.first_rejects[0]
    reject = result.first_rejects[0]
    assert (reject["source"], reject["record"], reject["line"]) == (SOURCE, 2, 2)
    return reject


def _address(**changes: Any) -> dict:
    return {**order()["shipping_address"], **changes}


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (order(2, customer_id=...), "customer_id", "missing required field"),
        (order(2, customer_id=None), "customer_id", "missing required field"),
        (order(2, status="lost"), "status", "is not one of pending"),
        (order(2, currency="usd"), "currency", "does not match the pattern"),
        (order(2, order_id="ORD 1"), "order_id", "does not match the pattern"),
        (order(2, shipping_address=_address(city="é" * 65)), "shipping_address.city", "130 bytes long"),
        (order(2, shipping_address=_address(country="USA")), "shipping_address.country", "does not match"),
        (order(2, tax=-1), "tax", "below the minimum 0"),
        (order(2, items=[]), "items", "fewer than 1"),
        (order(2, items=...), "items", "missing required list"),
        (order(2, items=[{"sku": "S", "quantity": 1, "unit_price": 1}] * 101), "items", "more than 100"),
        (
            order(2, items=[{"sku": "S", "quantity": 0, "unit_price": 40.28}]),
            "items.quantity",
            "element 1: 0 is below the minimum 1",
        ),
        (
            order(2, items=[{"sku": "S", "quantity": 1, "unit_price": 40.28}, {"quantity": 1, "unit_price": 0}]),
            "items.sku",
            "element 2: missing required field",
        ),
        (order(2, subtotal=40.30, total=48.50), "subtotal", "sum of quantity * unit_price"),
        (order(2, total=50), "total", "subtotal + shipping + tax"),
    ],
)
def test_validation_rule_rejects_the_record(tmp_path: Path, bad: dict, field: str, reason: str) -> None:
    reject = _convert_one_bad(tmp_path, bad)
    assert reject["field"] == field
    assert reason in reject["reason"]
    assert reject["raw"] == orjson.loads(orjson.dumps(bad))


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (order(2, shipping="five"), "shipping", "is not a decimal number"),
        (order(2, items=[{"sku": "S", "quantity": True, "unit_price": 1}]), "items.quantity", "an integer"),
        (order(2, items=[{"sku": "S", "quantity": 2.5, "unit_price": 1}]), "items.quantity", "an integer"),
        (order(2, customer_id=42), "customer_id", "expected a string, got number"),
        (order(2, shipping_address="nowhere"), "shipping_address", "expected an object"),
        (order(2, items={"sku": "S"}), "items", "expected an array"),
    ],
)
def test_wrong_json_types_reject_the_record(tmp_path: Path, bad: dict, field: str, reason: str) -> None:
    reject = _convert_one_bad(tmp_path, bad)
    assert reject["field"] == field
    assert reason in reject["reason"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"order_id": "ORD-1", "customer_id": "C\n', "invalid JSON"),
        (b"garbage\n", "invalid JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'"just a string"\n', "not a JSON object"),
        (b'{"order_id": "A"} {"order_id": "B"}\n', "invalid JSON"),
    ],
)
def test_unreadable_lines_are_per_record_rejects(tmp_path: Path, text: bytes, reason: str) -> None:
    reject = _convert_one_bad(tmp_path, text)
    assert reason in reject["reason"] and reject["field"] is None
    assert isinstance(reject["raw"], (str, list))


def test_null_in_a_required_column_with_allowed_values_is_only_missing(tmp_path: Path) -> None:
    reject = _convert_one_bad(tmp_path, order(2, status=None))
    assert (reject["field"], reject["reason"]) == ("status", "missing required field")
    assert "reasons" not in reject  # not also "None is not one of ..."


def test_invalid_utf8_rejects_only_its_record(tmp_path: Path) -> None:
    # Arrow's JSON reader would pass the bytes through into the Parquet strings (and the warehouse load fails).
    line = jsonl_bytes([order(2)]).replace(b'"name":"Ana', b'"name":"\xff\xfeAna', 1)
    reject = _convert_one_bad(tmp_path, line)
    assert reject["field"] is None and reject["reason"].startswith("invalid UTF-8: byte 0xff")
    assert isinstance(reject["raw"], str) and "Ana Smith" in reject["raw"]
    assert len(reject.get("reasons", [None])) == 1  # a single reason


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    data = (
        jsonl_bytes([order(1)])
        + b"\n   \n"
        + jsonl_bytes([order(2, status="x")])
        + b"\r\n\n"
        + b"{broken\n"
        + jsonl_bytes([order(4)])
    )
    path = tmp_path / "a.jsonl"
    path.write_bytes(data)
    result = convert_file(ORDERS, path, tmp_path / "out", batch_rows=2)  # several chunks
    assert result.total_records == 4 and result.rows["orders"] == 2
    assert [(r["record"], r["line"], r["field"]) for r in result.first_rejects] == [(2, 4, "status"), (3, 7, None)]
    assert pq.read_table(result.outputs["orders"])["_source_record"].to_pylist() == [1, 4]


def test_extra_fields_dropped_or_rejected_per_declaration(tmp_path: Path) -> None:
    record = order(2, coupon="X")
    record["shipping_address"]["floor"] = 3
    path = write_jsonl(tmp_path / "a.jsonl", [order(1), record])
    assert convert_file(ORDERS, path, tmp_path / "drop").status == "converted"
    strict = dataclasses.replace(ORDERS, extra_fields="reject")
    result = convert_file(strict, path, tmp_path / "reject")
    assert result.status == "partial" and result.rows["orders"] == 1
    assert result.first_rejects[0]["field"] == "coupon" and "unexpected" in result.first_rejects[0]["reason"]


def test_all_reasons_are_listed(tmp_path: Path) -> None:
    reject = _convert_one_bad(tmp_path, order(2, status="lost", currency="eur"))
    assert reject["field"] == "status"
    assert [r["field"] for r in reject["reasons"]] == ["status", "currency"]
