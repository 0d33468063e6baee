"""Every supported input format converts to the same canonical rows."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import UnsupportedFile, convert_file, detect_format
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order, write_jsonl

SOURCE = "s3://bucket/landing/orders/2026/11/20/a.jsonl"


def _rows(result, table: str) -> list[dict]:
    return pq.read_table(result.outputs[table]).to_pylist()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"a": 1}\n{"a": 2}\n', "jsonl"),
        (b'\xef\xbb\xbf  {"a": 1}\n', "jsonl"),
        (b'[\n {"a": 1}\n]', "json_array"),
        (b'{\n  "a": 1\n}\n', "json_object"),
        (b"PAR1\x15\x04", "parquet"),
        (gzip.compress(b'{"a": 1}\n', mtime=0), "jsonl"),
        (gzip.compress(b'[{"a": 1}]', mtime=0), "json_array"),
    ],
)
def test_detect_format(head: bytes, expected: str) -> None:
    assert detect_format(head, "x") == expected


@pytest.mark.parametrize("head", [b"", b"  \n", b"# README\nhello", b"\x00\x01\x02binary", b"\x1f\x8bnot gzip"])
def test_detect_format_refuses_other_content(head: bytes) -> None:
    with pytest.raises(UnsupportedFile, match="x.bin"):
        detect_format(head, "x.bin")


def test_jsonl_converts_to_the_canonical_schema(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", [order(1), order(2)])
    result = convert_file(ORDERS, source, tmp_path / "out", source_name=SOURCE)
    assert result.status == "converted" and result.file_error is None
    assert result.total_records == 2 and result.rows == {"orders": 2, "order_items": 4}
    assert result.input_format == "jsonl" and result.rejects_path is None
    for table in ORDERS.table_names:
        assert pq.read_schema(result.outputs[table]) == ORDERS.arrow_schema(table)
        assert result.outputs[table] == tmp_path / "out" / f"{table}.parquet"
    first = _rows(result, "orders")[0]
    assert first["ship_city"] == "Springfield" and first["total"] == Decimal("48.48")
    assert first["_source_file"] == SOURCE and first["_source_record"] == 1
    items = _rows(result, "order_items")
    assert [(i["order_id"], i["line_number"], i["unit_price"], i["_source_record"]) for i in items] == [
        ("ORD-20261120-000001", 1, Decimal("19.99"), 1),
        ("ORD-20261120-000001", 2, Decimal("0.30"), 1),
        ("ORD-20261120-000002", 1, Decimal("19.99"), 2),
        ("ORD-20261120-000002", 2, Decimal("0.30"), 2),
    ]


def test_source_name_defaults_to_the_path(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", [order(1)])
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.source_name == str(source)
    assert _rows(result, "orders")[0]["_source_file"] == str(source)


def _same_as_jsonl(tmp_path: Path, source: Path, records: list[dict], input_format: str) -> None:
    expected = convert_file(ORDERS, write_jsonl(tmp_path / "ref.jsonl", records), tmp_path / "ref", source_name=SOURCE)
    result = convert_file(ORDERS, source, tmp_path / "out", source_name=SOURCE)
    assert result.status == "converted", result.file_error
    assert result.input_format == input_format
    for table in ORDERS.table_names:
        assert pq.read_table(result.outputs[table]).equals(pq.read_table(expected.outputs[table]))


def test_gzip_is_detected_by_content_not_extension(tmp_path: Path) -> None:
    records = [order(n) for n in range(1, 6)]
    source = tmp_path / "a.json"  # no .gz
    source.write_bytes(gzip.compress(jsonl_bytes(records)))
    _same_as_jsonl(tmp_path, source, records, "jsonl+gzip")


def test_gzip_with_extension(tmp_path: Path) -> None:
    records = [order(n) for n in range(1, 4)]
    source = write_jsonl(tmp_path / "a.jsonl.gz", records, gzip_it=True)
    _same_as_jsonl(tmp_path, source, records, "jsonl+gzip")


def test_json_array_pretty_printed(tmp_path: Path) -> None:
    records = [order(n) for n in range(1, 8)]
    source = tmp_path / "a.json"
    source.write_text(json.dumps(records, indent=2))
    _same_as_jsonl(tmp_path, source, records, "json_array")


def test_json_array_gzip_in_small_batches(tmp_path: Path) -> None:
    records = [order(n) for n in range(1, 30)]
    source = tmp_path / "a.json"
    source.write_bytes(gzip.compress(json.dumps(records).encode()))
    expected = convert_file(ORDERS, write_jsonl(tmp_path / "ref.jsonl", records), tmp_path / "ref")
    result = convert_file(ORDERS, source, tmp_path / "out", batch_rows=3)
    assert result.input_format == "json_array+gzip" and result.rows == expected.rows
    assert [r["_source_record"] for r in _rows(result, "orders")] == list(range(1, 30))


def test_json_array_with_whitespace_around_separators(tmp_path: Path) -> None:
    records = [order(n) for n in range(1, 5)]
    source = tmp_path / "a.json"
    texts = [json.dumps(r) for r in records]
    source.write_text(f"[{texts[0]},\n{texts[1]} ,\t{texts[2]}\r\n,  {texts[3]}\n]\n")
    _same_as_jsonl(tmp_path, source, records, "json_array")


def test_json_array_element_with_invalid_utf8_is_rejected_alone(tmp_path: Path) -> None:
    texts = [json.dumps(order(n)).encode() for n in range(1, 5)]
    texts[2] = texts[2].replace(b'"name": "Ana', b'"name": "\xc3(Ana', 1)
    source = tmp_path / "a.json"
    source.write_bytes(b"[" + b", ".join(texts) + b"]")
    result = convert_file(ORDERS, source, tmp_path / "out", batch_rows=2)
    assert result.status == "partial" and result.rows["orders"] == 3 and result.total_records == 4
    reject = result.first_rejects[0]
    assert (reject["record"], reject["line"]) == (3, None) and "invalid UTF-8" in reject["reason"]
    assert [r["_source_record"] for r in _rows(result, "orders")] == [1, 2, 4]


def test_single_json_object(tmp_path: Path) -> None:
    source = tmp_path / "one.json"
    source.write_text(json.dumps(order(7), indent=4))
    _same_as_jsonl(tmp_path, source, [order(7)], "json_object")


def test_empty_json_array_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "a.json"
    source.write_text("[ ]")
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.status == "rejected" and "no records" in result.file_error


def test_parquet_nested(tmp_path: Path) -> None:
    records = [order(n) for n in range(1, 4)]
    for record in records:  # Parquet needs one type per column: money as text here
        for item in record["items"]:
            item["unit_price"] = str(item["unit_price"])
    source = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(records), source)
    _same_as_jsonl(tmp_path, source, records, "parquet")


def test_parquet_flattened_canonical_columns_with_typed_values(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "ref.jsonl", [order(1), order(2)])
    reference = convert_file(ORDERS, source, tmp_path / "ref")
    flat = pq.read_table(reference.outputs["orders"]).drop_columns(["_source_file", "_source_record"])
    items = pq.read_table(reference.outputs["order_items"])
    nested_items = [
        [
            {"sku": i["sku"], "quantity": i["quantity"], "unit_price": i["unit_price"]}
            for i in items.to_pylist()
            if i["order_id"] == order_id
        ]
        for order_id in flat["order_id"].to_pylist()
    ]
    flat = flat.append_column("items", pa.array(nested_items))
    source = tmp_path / "flat.parquet"
    pq.write_table(flat, source)
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.status == "converted", result.file_error
    for table in ORDERS.table_names:
        assert (
            pq.read_table(result.outputs[table])
            .drop_columns(["_source_file"])
            .equals(pq.read_table(reference.outputs[table]).drop_columns(["_source_file"]))
        )
