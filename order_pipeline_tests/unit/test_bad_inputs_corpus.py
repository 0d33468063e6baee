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


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(repr(value))


def _value_ok(column: Column, value: object) -> bool:
    if value is None:
        return column.nullable
    if column.kind == "string":
        return (isinstance(value, str) and len(value.encode()) <= (column.max_bytes or 65535)
                and (column.allowed is None or value in column.allowed)
                and (column.pattern is None or re.fullmatch(column.pattern, value) is not None))
    if column.kind == "timestamp":
        if isinstance(value, datetime):
            return value.tzinfo is not None
        try:
            return isinstance(value, str) and parse_ts(value) is not None
        except ValueError:
            return False
    if column.kind == "decimal":
        amount = _decimal(value)
        return (amount is not None and amount.as_tuple().exponent >= -column.scale
                and (column.min_value is None or amount >= column.min_value))
    if column.kind in ("int32", "int64"):
        return (isinstance(value, int) and not isinstance(value, bool)
                and (column.min_value is None or value >= column.min_value)
                and (column.max_value is None or value <= column.max_value))
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
    items = record.get("items")
    if not isinstance(items, list) or not ITEMS.min_items <= len(items) <= (ITEMS.max_items or len(items)):
        return False
    if not all(isinstance(i, dict) and all(_value_ok(c, i.get(c.source_path)) for c in ITEMS.columns)
               for i in items):
        return False
    try:
        items_sum = sum(i["quantity"] * _decimal(i["unit_price"]) for i in items)
        parts = _decimal(record["subtotal"]) + _decimal(record["shipping"]) + _decimal(record["tax"])
        cent = Decimal("0.01")
        return (abs(_decimal(record["subtotal"]) - items_sum) <= cent
                and abs(_decimal(record["total"]) - parts) <= cent)
    except (TypeError, InvalidOperation):
        return False


def _records(entry: BadInput) -> list[object]:
    """The records of a readable file; an unreadable JSON Lines line is returned as the marker `...`."""
    if entry.filename.endswith(".parquet"):
        return pq.read_table(io.BytesIO(entry.content)).to_pylist()
    if entry.filename.endswith(".json"):
        return json.loads(entry.content)
    records: list[object] = []
    for line in entry.content.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line.decode("utf-8")))
            except (UnicodeDecodeError, ValueError):
                records.append(...)
    return records


def test_enough_distinct_kinds_and_unique_filenames() -> None:
    assert len(CORPUS) == len(BY_KIND) >= 24
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
    ids = [r["order_id"] for e in CORPUS if not e.whole_file_rejected
           for r in _records(e) if isinstance(r, dict) and _valid(r)]
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
