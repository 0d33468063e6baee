"""Declared string rules: required strings say something, and lengths count UTF-8 bytes like Redshift."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.datasets.declaration import DEFAULT_MAX_BYTES, Column, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import order, write_jsonl

EMOJI = "\U0001f600"  # one character, four bytes in UTF-8


def _convert(tmp_path: Path, records: list[dict], dataset: Dataset = ORDERS):
    tmp_path.mkdir(parents=True, exist_ok=True)
    return convert_file(dataset, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")


def _items(sku: str) -> list[dict]:
    return [{"sku": "SKU-1234", "quantity": 2, "unit_price": 19.99}, {"sku": sku, "quantity": 1, "unit_price": 0.3}]


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (order(2, customer_id=""), "customer_id", "'' is blank"),
        (order(2, customer_id="   "), "customer_id", "'   ' is blank"),
        (order(2, customer_id="\t\n"), "customer_id", "is blank"),
        (order(2, customer_id="\u3000\u00a0"), "customer_id", "is blank"),  # Unicode spaces are blank too
        (order(2, items=_items("")), "items.sku", "element 2: '' is blank"),
        (order(2, items=_items(" ")), "items.sku", "element 2: ' ' is blank"),
    ],
)
def test_blank_required_strings_reject_their_record(tmp_path: Path, bad: dict, field: str, reason: str) -> None:
    result = _convert(tmp_path, [order(1), bad, order(3)])
    assert result.counts == {"read": 3, "written": 2, "rejected": 1}
    (reject,) = result.first_rejects
    assert (reject["record"], reject["field"]) == (2, field) and reason in reject["reason"], reject


def test_blank_optional_strings_load_unless_declared_otherwise(tmp_path: Path) -> None:
    address = {**order()["shipping_address"], "name": "", "street": "  "}
    records = [order(1, shipping_address=address), order(2)]
    assert _convert(tmp_path / "default", records).counts == {"read": 2, "written": 2, "rejected": 0}
    strict = dataclasses.replace(
        ORDERS,
        columns=tuple(
            dataclasses.replace(c, allow_blank=False) if c.name == "ship_name" else c for c in ORDERS.columns
        ),
    )
    result = _convert(tmp_path / "strict", records, strict)
    assert result.counts == {"read": 2, "written": 1, "rejected": 1}
    assert result.first_rejects[0]["field"] == "shipping_address.name"


def test_a_required_string_may_be_declared_blank_allowed(tmp_path: Path) -> None:
    lenient = dataclasses.replace(
        ORDERS,
        columns=tuple(
            dataclasses.replace(c, allow_blank=True) if c.name == "customer_id" else c for c in ORDERS.columns
        ),
    )
    result = _convert(tmp_path, [order(1, customer_id=" "), order(2, customer_id=None)], lenient)
    assert result.counts == {"read": 2, "written": 1, "rejected": 1}  # blank allowed, missing still not
    assert result.first_rejects[0]["reason"] == "missing required field"
    assert pq.read_table(result.outputs["orders"])["customer_id"].to_pylist() == [" "]


def test_the_blank_default_follows_nullability() -> None:
    assert not Column("a", "string", nullable=False).blank_allowed
    assert Column("a", "string").blank_allowed
    assert Column("a", "string", nullable=False, allow_blank=True).blank_allowed
    assert not Column("a", "string", allow_blank=False).blank_allowed


def test_lengths_count_utf8_bytes_not_characters(tmp_path: Path) -> None:
    fits = order(1, customer_id=EMOJI * 16)  # 16 characters, 64 bytes: exactly VARCHAR(64)
    over = order(2, customer_id=EMOJI * 17)  # 17 characters (fits VARCHAR(64) in characters), 68 bytes
    result = _convert(tmp_path, [fits, over, order(3)])
    assert result.counts == {"read": 3, "written": 2, "rejected": 1}
    (reject,) = result.first_rejects
    assert reject["field"] == "customer_id"
    assert reject["reason"] == "is 68 bytes long in UTF-8 (17 characters), more than its limit of 64 bytes"
    assert pq.read_table(result.outputs["orders"])["customer_id"].to_pylist()[0] == EMOJI * 16


def test_a_string_without_a_declared_size_gets_the_warehouse_default(tmp_path: Path) -> None:
    columns = tuple(dataclasses.replace(c, max_bytes=None) if c.name == "ship_street" else c for c in ORDERS.columns)
    dataset = dataclasses.replace(ORDERS, columns=columns)
    address = order()["shipping_address"]
    records = [
        order(1, shipping_address={**address, "street": "é" * (DEFAULT_MAX_BYTES // 2)}),
        order(2, shipping_address={**address, "street": "é" * (DEFAULT_MAX_BYTES // 2) + "x"}),
    ]
    result = _convert(tmp_path, records, dataset)
    assert result.counts == {"read": 2, "written": 1, "rejected": 1}
    assert f"more than its limit of {DEFAULT_MAX_BYTES} bytes" in result.first_rejects[0]["reason"]


def test_json_text_longer_than_its_staging_varchar_rejects_its_record(tmp_path: Path) -> None:
    """Issue 25, item 11: a json column is staged on Redshift as VARCHAR(65535) text; a longer value would fail
    the file's COPY (and dead-letter the whole file), so it rejects its own record here, as a long string does."""
    with_json = dataclasses.replace(ORDERS, columns=(*ORDERS.columns, Column("attributes", "json")))
    records = [
        order(1, attributes={"note": "x" * 70_000}),
        order(2, attributes={"gift": True}),
        order(3, attributes=["é" * 33_000]),  # 33,000 characters, 66,000 bytes
        order(4, attributes={"note": "y" * 65_000}),  # fits
    ]
    result = _convert(tmp_path, records, with_json)
    assert result.counts == {"read": 4, "written": 2, "rejected": 2}
    assert [(r["record"], r["field"]) for r in result.first_rejects] == [(1, "attributes"), (3, "attributes")]
    assert all("more than the 65535 bytes" in r["reason"] for r in result.first_rejects), result.first_rejects
    kept = pq.read_table(tmp_path / "out" / "orders.parquet").column("attributes").to_pylist()
    assert [len(v.encode()) <= 65_535 for v in kept] == [True, True]
