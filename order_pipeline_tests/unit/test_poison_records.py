"""Poison records: each known trap is rejected on its own, with a reason, and never fails its file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.read.nesting import MAX_DEPTH, nesting_depth, too_deep
from order_pipeline.conversion.read.text_sources import MAX_LINE_BYTES
from order_pipeline.datasets.declaration import RecordRule
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order

SOURCE = "s3://bucket/landing/orders/poison.jsonl"


def _convert(tmp_path: Path, bad: bytes, dataset=ORDERS, name: str = "a.jsonl"):
    """[good, bad, good, good] converted; the bad line is given as bytes (no line end)."""
    path = tmp_path / name
    path.write_bytes(jsonl_bytes([order(1)]) + bad + b"\n" + jsonl_bytes([order(3), order(4)]))
    return convert_file(dataset, path, tmp_path / "out", source_name=SOURCE)


def _one_reject(result) -> dict:
    assert result.status == "partial", result.file_error
    assert result.counts == {"read": 4, "written": 3, "rejected": 1}
    assert pq.read_table(result.outputs["orders"])["_source_record"].to_pylist() == [1, 3, 4]
    (reject,) = result.first_rejects
    assert (reject["record"], reject["line"]) == (2, 2)
    return reject


def _with(field: bytes, value: bytes) -> bytes:
    """order(2) with the JSON text of `field`'s value replaced by `value` (exactly as written)."""
    line = orjson.dumps(order(2))
    start = line.index(b'"' + field + b'":') + len(field) + 3
    end = start + len(orjson.dumps(order(2)[field.decode()]))
    return line[:start] + value + line[end:]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"1e400", "1E+400 is out of range"),  # decimal.InvalidOperation before
        (b"-1e400", "is out of range"),
        (b"1" + b"0" * 60, "is out of range"),  # more digits than any decimal holds
        (b"1e-400", "has more than 2 decimal places"),
        (b"123456789012345678901234567890.123", "has more than 2 decimal places"),
        (b"123456789012345678901234567890", "out of range for decimal(12, 2)"),
        (b"NaN", "expected a decimal number"),
        (b"Infinity", "expected a decimal number"),
        (b'"1e999999999999"', "is out of range"),
    ],
)
def test_huge_and_odd_numbers_reject_their_record(tmp_path: Path, value: bytes, reason: str) -> None:
    reject = _one_reject(_convert(tmp_path, _with(b"tax", value)))
    assert reject["field"] == "tax" and reason in reject["reason"], reject


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 50_000])
def test_deep_nesting_rejects_its_record(tmp_path: Path, depth: int) -> None:
    deep = b"[" * depth + b"]" * depth  # RecursionError in the json module before
    result = _convert(tmp_path, _with(b"status", deep))
    reject = _one_reject(result)
    assert reject["field"] is None and f"nested deeper than {MAX_DEPTH} levels" in reject["reason"]
    (whole,) = [orjson.loads(line) for line in result.rejects_path.read_bytes().splitlines()]
    assert isinstance(whole["raw"], str) and len(whole["raw"]) > 2 * depth  # kept whole, as text


def test_deep_nesting_in_an_undeclared_field_is_dropped_like_any_undeclared_field(tmp_path: Path) -> None:
    """Arrow's parser does not recurse and drops undeclared fields: such a record reads the same whether its
    chunk takes the fast path or (next to a bad record) the slow one."""
    deep = orjson.dumps(order(2))[:-1] + b',"junk":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl_bytes([order(1)]) + deep + b"\n")
    assert convert_file(ORDERS, path, tmp_path / "fast").counts == {"read": 2, "written": 2, "rejected": 0}
    path.write_bytes(jsonl_bytes([order(1)]) + deep + b"\nnot json\n" + jsonl_bytes([order(4)] * 3))
    assert convert_file(ORDERS, path, tmp_path / "slow").counts == {"read": 6, "written": 5, "rejected": 1}


def test_a_deep_element_of_a_json_array_is_rejected_alone(tmp_path: Path) -> None:
    texts = [orjson.dumps(order(n)) for n in range(1, 5)]
    texts[1] = _with(b"status", b"[" * 50_000 + b"]" * 50_000)
    path = tmp_path / "a.json"
    path.write_bytes(b"[" + b",\n".join(texts) + b"]")
    result = convert_file(ORDERS, path, tmp_path / "out")
    assert result.counts == {"read": 4, "written": 3, "rejected": 1}
    assert "nested deeper" in result.first_rejects[0]["reason"]


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert nesting_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert nesting_depth(b'{"a": "\\"[[[["}') == 1
    assert not too_deep(b'{"items": [' + b'{"x": 1},' * 500 + b"{}]}")  # many brackets, shallow
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (b'"Ana \\ud800 Smith"', "shipping_address.name", "lone surrogate \\ud800"),
        (b'"Ana \\udc00"', "shipping_address.name", "lone surrogate \\udc00"),
        (b'"Ana \\u0000 Smith"', "shipping_address.name", "NUL character"),
    ],
)
def test_text_that_is_valid_json_but_not_valid_text_rejects_its_record(
    tmp_path: Path, text: bytes, field: str, reason: str
) -> None:
    line = orjson.dumps(order(2)).replace(b'"Ana Smith"', text)
    reject = _one_reject(_convert(tmp_path, line))
    assert reject["field"] == field and reason in reject["reason"], reject


def test_a_surrogate_pair_is_fine(tmp_path: Path) -> None:
    line = orjson.dumps(order(2)).replace(b'"Ana Smith"', b'"Ana \\ud83d\\ude00"')
    result = _convert(tmp_path, line)
    assert result.status == "converted"
    assert pq.read_table(result.outputs["orders"])["ship_name"].to_pylist()[1] == "Ana \U0001f600"


@pytest.mark.parametrize("raw", [b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\xff"])
def test_invalid_utf8_sequences_reject_their_record(tmp_path: Path, raw: bytes) -> None:
    line = orjson.dumps(order(2)).replace(b'"Ana Smith"', b'"Ana ' + raw + b'"')
    reject = _one_reject(_convert(tmp_path, line))
    assert reject["reason"].startswith("invalid UTF-8")


def test_a_line_over_the_limit_is_rejected_without_being_held(tmp_path: Path) -> None:
    huge = orjson.dumps(order(2, customer_id="x" * (MAX_LINE_BYTES + 10)))
    reject = _one_reject(_convert(tmp_path, huge))
    assert reject["reason"].startswith(f"line is {len(huge)} bytes long, more than the limit")
    assert reject["raw_truncated"] is True and reject["raw_bytes"] == len(huge)
    assert len(reject["raw"]) <= 1024 and reject["raw"].startswith('{"order_id":"ORD-20261120-000002"')


def test_a_long_line_under_the_limit_is_an_ordinary_reject_kept_whole(tmp_path: Path) -> None:
    long = orjson.dumps(order(2, customer_id="x" * 5_000_000))
    result = _convert(tmp_path, long)
    reject = _one_reject(result)
    assert reject["field"] == "customer_id" and "5000000 bytes long" in reject["reason"]
    assert reject["raw_truncated"] is True and reject["raw_bytes"] > 5_000_000  # the preview is cut ...
    assert len(json.dumps(reject)) < 10_000
    (whole,) = [orjson.loads(line) for line in result.rejects_path.read_bytes().splitlines()]
    assert len(whole["raw"]["customer_id"]) == 5_000_000  # ... the rejects file keeps it whole


def _poison_rule(orders: pa.Table, children) -> pa.Array:
    if "ORD-20261120-000002" in orders["order_id"].to_pylist():
        raise ZeroDivisionError("the rule cannot handle this record")
    return pa.array(np.ones(orders.num_rows, dtype=bool))


def test_an_exception_while_converting_one_record_rejects_only_that_record(tmp_path: Path) -> None:
    dataset = dataclasses.replace(ORDERS, rules=(RecordRule("poison", "never", _poison_rule),))
    reject = _one_reject(_convert(tmp_path, orjson.dumps(order(2)), dataset))
    assert reject["reason"] == "could not be converted (ZeroDivisionError: the rule cannot handle this record)"
    assert reject["raw"]["order_id"] == "ORD-20261120-000002"


def test_an_exception_for_every_record_quarantines_the_file_instead_of_raising(tmp_path: Path) -> None:
    def broken(orders: pa.Table, children) -> pa.Array:
        raise RuntimeError("this rule fails on every record")

    dataset = dataclasses.replace(ORDERS, rules=(RecordRule("broken", "never", broken),))
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl_bytes([order(n) for n in range(1, 6)]))
    result = convert_file(dataset, path, tmp_path / "out", source_name=SOURCE)
    assert result.status == "rejected" and "5 of 5 records invalid" in result.file_error
    assert all("could not be converted" in r["reason"] for r in result.first_rejects)


def test_invalid_utf8_in_a_parquet_string_rejects_its_record(tmp_path: Path) -> None:
    """Arrow reads Parquet strings without checking their UTF-8; the warehouse would refuse the whole load."""
    reference = convert_file(ORDERS, _write(tmp_path / "ref.jsonl", [order(n) for n in range(1, 5)]), tmp_path / "ref")
    table = pq.read_table(reference.outputs["orders"]).drop_columns(["_source_file", "_source_record"])
    names = [b"Ana", b"B\xffob", b"Cy", b"Di"]  # the second is not UTF-8
    offsets = np.cumsum([0] + [len(n) for n in names]).astype(np.int32)
    broken = pa.Array.from_buffers(pa.string(), 4, [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(names))])
    table = table.set_column(table.schema.get_field_index("ship_name"), "ship_name", broken)
    items = pq.read_table(reference.outputs["order_items"])
    nested = [
        [{k: i[k] for k in ("sku", "quantity", "unit_price")} for i in items.to_pylist() if i["order_id"] == order_id]
        for order_id in table["order_id"].to_pylist()
    ]
    source = tmp_path / "flat.parquet"
    pq.write_table(table.append_column("items", pa.array(nested)), source)
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.counts == {"read": 4, "written": 3, "rejected": 1}
    (reject,) = result.first_rejects
    assert (reject["record"], reject["field"]) == (2, "shipping_address.name")
    assert reject["reason"] == "is not valid UTF-8 text"
    assert pq.read_table(result.outputs["orders"])["ship_name"].to_pylist() == ["Ana", "Cy", "Di"]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_bytes(jsonl_bytes(records))
    return path
