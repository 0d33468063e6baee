"""Exact decimals, timestamp normalisation and the Parquet typing of values."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import order, write_jsonl


def test_money_is_exact_from_numbers_and_strings(tmp_path: Path) -> None:
    record = order(
        1,
        items=[{"sku": "S-1", "quantity": 3, "unit_price": 0.1}, {"sku": "S-2", "quantity": 1, "unit_price": "0.2"}],
        subtotal="0.50",
        shipping=0,
        tax=0.01,
        total=0.51,
    )
    result = convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", [record]), tmp_path / "out")
    assert result.status == "converted", result.first_rejects
    row = pq.read_table(result.outputs["orders"]).to_pylist()[0]
    assert (row["subtotal"], row["shipping"], row["tax"], row["total"]) == (
        Decimal("0.50"),
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("0.51"),
    )
    prices = pq.read_table(result.outputs["order_items"])["unit_price"]
    assert prices.type == pa.decimal128(12, 2)
    assert prices.to_pylist() == [Decimal("0.10"), Decimal("0.20")]


def test_null_in_an_optional_column_with_allowed_values_loads_as_null(tmp_path: Path) -> None:
    records = [order(1, payment_method=None), order(2, payment_method=...), order(3)]
    result = convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")
    assert result.status == "converted", result.first_rejects
    assert pq.read_table(result.outputs["orders"])["payment_method"].to_pylist() == [None, None, "card"]


def test_money_with_more_than_two_decimals_is_rejected_not_rounded(tmp_path: Path) -> None:
    records = [order(1, shipping=0.30000000000000004, total=43.48), order(2)]
    result = convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")
    assert result.status == "partial" and result.rows["orders"] == 1
    reject = result.first_rejects[0]
    assert (reject["record"], reject["line"], reject["field"]) == (1, 1, "shipping")
    assert "decimal places" in reject["reason"]


def test_money_out_of_declared_precision_is_rejected(tmp_path: Path) -> None:
    records = [order(1, tax="12345678901.00"), order(2)]
    result = convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")
    assert result.first_rejects[0]["field"] == "tax"
    assert "out of range for decimal(12, 2)" in result.first_rejects[0]["reason"]


def test_timestamps_are_normalised_to_utc_microseconds(tmp_path: Path) -> None:
    records = [order(1, order_ts="2026-11-20T10:11:12.5+02:00", updated_at="2026-11-20T23:30:00-01:30")]
    result = convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")
    table = pq.read_table(result.outputs["orders"])
    assert table.schema.field("order_ts").type == pa.timestamp("us", tz="UTC")
    row = table.to_pylist()[0]
    assert row["order_ts"] == datetime(2026, 11, 20, 8, 11, 12, 500000, tzinfo=timezone.utc)
    assert row["updated_at"] == datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc)


def test_naive_timestamp_is_rejected(tmp_path: Path) -> None:
    records = [order(1), order(2, updated_at="2026-11-20T10:12:00"), order(3, order_ts="yesterday"), order(4)]
    result = convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")
    assert result.rows["orders"] == 2
    naive, garbage = result.first_rejects
    assert (naive["record"], naive["field"]) == (2, "updated_at") and "no time zone" in naive["reason"]
    assert (garbage["record"], garbage["field"]) == (3, "order_ts") and "ISO-8601" in garbage["reason"]


def test_parquet_float_money_keeps_its_decimal_text(tmp_path: Path) -> None:
    records = [order(1), order(2)]
    records[1]["shipping"] = 0.1 + 0.2  # 0.30000000000000004: not a cent amount
    for record in records:
        for item in record["items"]:
            item["unit_price"] = float(item["unit_price"])
    source = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(records), source)
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.status == "partial" and result.rows["orders"] == 1
    assert result.first_rejects[0]["field"] == "shipping" and result.first_rejects[0]["line"] is None
    assert result.first_rejects[0]["raw"]["order_id"] == "ORD-20261120-000002"
    assert pq.read_table(result.outputs["order_items"])["unit_price"].to_pylist() == [Decimal("19.99"), Decimal("0.30")]


def test_parquet_timestamp_columns_with_zone(tmp_path: Path) -> None:
    moment = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    records = [order(1, order_ts=moment, updated_at=moment)]
    records[0]["items"][1]["unit_price"] = "0.30"
    records[0]["items"][0]["unit_price"] = "19.99"
    source = tmp_path / "a.parquet"
    table = pa.Table.from_pylist(records)
    table = table.set_column(
        table.schema.get_field_index("order_ts"),
        "order_ts",
        table["order_ts"].cast(pa.timestamp("ns", tz="Europe/Paris")),
    )
    pq.write_table(table, source)
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.status == "converted", result.first_rejects
    assert pq.read_table(result.outputs["orders"])["order_ts"].to_pylist() == [moment]
