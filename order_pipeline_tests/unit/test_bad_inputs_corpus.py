"""The bad-input corpus itself is sane: distinct kinds and names, and counts that match its content.

Counts are checked with a small validator written from the ORDERS declaration, independent of the converter.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

import pyarrow.parquet as pq
import pytest

from order_pipeline.datasets.declaration import Column
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import parse_ts
from order_pipeline_tests.support.bad_inputs import BadInput, build_corpus

CORPUS = build_corpus()
BY_KIND = {entry.kind: entry for entry in CORPUS}
ITEMS = ORDERS.children[0]


_FRACTION = re.compile(r"\.(\d+)")


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value) if value == value.strip() else None
        except InvalidOperation:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(repr(value))


def _text_ok(column: Column, value: str) -> bool:
    try:
        size = len(value.encode())  # a lone surrogate cannot be encoded
    except UnicodeEncodeError:
        return False
    return (
        size <= column.byte_limit
        and "\x00" not in value
        and (column.blank_allowed or bool(value.strip()))
        and (column.allowed is None or value in column.allowed)
        and (column.pattern is None or re.fullmatch(column.pattern, value) is not None)
    )


def _timestamp_ok(value: object) -> bool:
    if isinstance(value, datetime):
        return value.tzinfo is not None
    if not isinstance(value, str):
        return False
    fraction = _FRACTION.search(value)
    if fraction and len(fraction[1]) > 6:  # the warehouse keeps microseconds: more would be silently cut
        return False
    try:
        return parse_ts(value) is not None
    except ValueError:
        return False


def _value_ok(column: Column, value: object) -> bool:
    if value is None:
        return column.nullable
    if column.kind == "string":
        return isinstance(value, str) and _text_ok(column, value)
    if column.kind == "timestamp":
        return _timestamp_ok(value)
    if column.kind == "decimal":
        amount = _decimal(value)
        return (
            amount is not None
            and amount.is_finite()
            and amount.as_tuple().exponent >= -column.scale
            and (not amount or amount.adjusted() < column.precision - column.scale)
            and (column.min_value is None or amount >= column.min_value)
        )
    if column.kind in ("int32", "int64"):
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (column.min_value is None or value >= column.min_value)
            and (column.max_value is None or value <= column.max_value)
        )
    raise AssertionError(f"unexpected kind {column.kind}")


def _get(record: dict, path: str) -> object:
    for part in path.split("."):
        if not isinstance(record, dict):
            return None
        record = record.get(part)
    return record


def _valid(record: object) -> bool:
    """Would a correct converter load this record? (Declared columns, item bounds, the two money rules.)"""
    if not isinstance(record, dict):
        return False
    if not all(_value_ok(c, _get(record, c.source_path)) for c in ORDERS.columns):
        return False
    address = record.get("shipping_address")
    if address is not None and not isinstance(address, dict):
        return False
    items = record.get("items")
    if not isinstance(items, list) or not ITEMS.min_items <= len(items) <= (ITEMS.max_items or len(items)):
        return False
    if not all(isinstance(i, dict) and all(_value_ok(c, i.get(c.source_path)) for c in ITEMS.columns) for i in items):
        return False
    try:
        items_sum = sum(i["quantity"] * _decimal(i["unit_price"]) for i in items)
        parts = _decimal(record["subtotal"]) + _decimal(record["shipping"]) + _decimal(record["tax"])
        cent = Decimal("0.01")
        return abs(_decimal(record["subtotal"]) - items_sum) <= cent and abs(_decimal(record["total"]) - parts) <= cent
    except (TypeError, InvalidOperation):
        return False


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _loads(text: str) -> object:
    return json.loads(text, object_pairs_hook=_no_duplicate_keys)


def _documents(text: str) -> list[object]:
    """A JSON array's elements, or the values of a stream of JSON documents."""
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
    values, position = [], 0
    while position < len(text.rstrip()):
        value, position = decoder.raw_decode(text, len(text) - len(text[position:].lstrip()))
        values.append(value)
    return values[0] if len(values) == 1 and isinstance(values[0], list) else values


def _records(entry: BadInput) -> list[object]:
    """The records of a readable file; an unreadable JSON Lines line is returned as the marker `...`."""
    if entry.filename.endswith(".parquet"):
        return pq.read_table(io.BytesIO(entry.content)).to_pylist()
    content = gzip.decompress(entry.content) if entry.filename.endswith(".gz") else entry.content
    content = content.removeprefix(b"\xef\xbb\xbf")
    if entry.filename.endswith(".json"):
        return _documents(content.decode())
    records: list[object] = []
    for line in content.splitlines():
        if line.strip(b" \t"):
            try:
                records.append(_loads(line.decode("utf-8")))
            except (UnicodeDecodeError, ValueError, RecursionError):
                records.append(...)
    return records


def test_enough_distinct_kinds_and_unique_filenames() -> None:
    assert len(CORPUS) == len(BY_KIND) >= 60
    assert len({entry.filename for entry in CORPUS}) == len(CORPUS)
    odd = [e.filename for e in CORPUS if " " in e.filename or "'" in e.filename or not e.filename.isascii()]
    assert len(odd) >= 3


def test_corpus_is_deterministic_per_seed() -> None:
    assert build_corpus() == CORPUS
    other = build_corpus(seed=8)
    assert [e.kind for e in other] == [e.kind for e in CORPUS]
    assert sum(a.content != b.content for a, b in zip(other, CORPUS, strict=True)) > len(CORPUS) // 2


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.kind)
def test_counts_are_consistent(entry: BadInput) -> None:
    assert entry.reason_contains == entry.reason_contains.lower()
    if entry.ignored:
        assert entry.hidden_name and entry.content == b"" and not entry.whole_file_rejected
        assert entry.bad_records == entry.good_records == 0
        return
    if entry.whole_file_rejected:
        assert entry.bad_records == entry.good_records == 0
        assert entry.reason_contains
        return
    assert entry.good_records >= 1
    assert entry.bad_records <= ORDERS.max_bad_records
    assert entry.bad_records / (entry.bad_records + entry.good_records) <= ORDERS.max_bad_ratio
    assert bool(entry.reason_contains) == (entry.bad_records > 0)
    records = _records(entry)
    assert len(records) == entry.good_records + entry.bad_records
    assert sum(map(_valid, records)) == entry.good_records


def test_mix_of_good_and_bad() -> None:
    mixed = [e for e in CORPUS if e.good_records and e.bad_records]
    assert len(mixed) >= 20
    assert sum(e.whole_file_rejected for e in CORPUS) >= 8
    assert [e.kind for e in CORPUS if e.good_records and not e.bad_records]  # tricky but good files exist


def test_good_record_ids_do_not_collide_across_files() -> None:
    ids = [
        r["order_id"]
        for e in CORPUS
        if not e.whole_file_rejected
        for r in _records(e)
        if isinstance(r, dict) and _valid(r)
    ]
    assert len(ids) == sum(e.good_records for e in CORPUS) and len(set(ids)) == len(ids)


def test_over_threshold_files_really_are_mostly_bad() -> None:
    for kind in ("mostly_bad", "not_json"):
        records = _records(BY_KIND[kind])
        assert sum(not _valid(r) for r in records) / len(records) > ORDERS.max_bad_ratio


def test_unreadable_files_really_are_unreadable() -> None:
    with pytest.raises(EOFError):
        gzip.decompress(BY_KIND["truncated_gzip"].content)
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(BY_KIND["corrupt_gzip"].content)
    with pytest.raises(UnicodeDecodeError):
        gzip.decompress(BY_KIND["gzip_of_garbage"].content).decode("utf-8")
    with pytest.raises(ValueError):
        json.loads(BY_KIND["json_array_unclosed"].content)
    assert BY_KIND["empty_file"].content == b""
    assert not BY_KIND["blank_lines"].content.strip()
    assert pq.read_table(io.BytesIO(BY_KIND["parquet_other_shape"].content)).column_names == ["a", "b"]
    assert not BY_KIND["truncated_last_line"].content.endswith(b"\n")


def test_the_new_whole_file_kinds_really_are_whole_file_problems() -> None:
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(BY_KIND["gzip_trailing_garbage"].content)
    with pytest.raises(Exception, match="(?i)parquet|magic|footer|size"):
        pq.read_table(io.BytesIO(BY_KIND["parquet_truncated"].content))
    assert json.loads(BY_KIND["empty_json_array"].content) == []
    assert BY_KIND["utf16_file"].content.startswith(b"\xff\xfe{\x00")
    records = _records(BY_KIND["too_many_bad_records"])
    assert sum(not _valid(r) for r in records) == ORDERS.max_bad_records + 1 < len(records) * ORDERS.max_bad_ratio
    hidden = [e for e in CORPUS if e.hidden_name]
    assert {e.filename[0] for e in hidden} == {".", "_"} and [e.kind for e in hidden if e.ignored] == ["success_marker"]
    assert all(_valid(r) for r in _records(BY_KIND["hidden_temporary_upload"]))  # only its name is wrong
