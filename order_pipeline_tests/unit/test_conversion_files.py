"""Whole-file outcomes: thresholds, unreadable inputs, outputs left behind."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import ConversionResult, convert_file
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order, write_jsonl

NAME = "s3://bucket/landing/orders/bad.jsonl"


def _assert_rejected(result: ConversionResult, out: Path, *cause: str) -> None:
    assert result.status == "rejected" and result.outputs == {} and result.rows == {}
    assert result.file_error.startswith(NAME)
    for text in cause:
        assert text in result.file_error
    assert not list(out.glob("*.parquet")) and not list(out.glob(".*partial"))


def test_bad_share_above_the_ratio_rejects_the_file(tmp_path: Path) -> None:
    records = [order(n, status="lost") if n % 5 else order(n) for n in range(1, 501)]
    out = tmp_path / "out"
    dataset = dataclasses.replace(ORDERS, max_bad_records=1000)
    result = convert_file(dataset, write_jsonl(tmp_path / "a.jsonl", records), out, source_name=NAME)
    _assert_rejected(result, out, "400 of 500 records invalid (80%), above the dataset's limit of 50%")
    assert result.total_records == 500 and result.rejected_records == 400
    assert len(result.first_rejects) == 10 and len(result.rejects_path.read_bytes().splitlines()) == 400


def test_more_bad_records_than_allowed_rejects_the_file(tmp_path: Path) -> None:
    records = [order(n, status="lost") if n <= 3 else order(n) for n in range(1, 21)]
    out = tmp_path / "out"
    dataset = dataclasses.replace(ORDERS, max_bad_records=2)
    result = convert_file(dataset, write_jsonl(tmp_path / "a.jsonl", records), out, source_name=NAME)
    _assert_rejected(result, out, "3 of 20 records invalid (15%)", "limit of 2 invalid records")


def test_bad_records_within_limits_give_a_partial_result(tmp_path: Path) -> None:
    records = [order(n, status="lost") if n <= 2 else order(n) for n in range(1, 21)]
    dataset = dataclasses.replace(ORDERS, max_bad_records=2)
    result = convert_file(dataset, write_jsonl(tmp_path / "a.jsonl", records), tmp_path / "out")
    assert result.status == "partial" and result.rows["orders"] == 18 and result.rejected_records == 2


@pytest.mark.parametrize("existing", ["orders.parquet", "rejects.jsonl", ".orders.parquet.partial"])
def test_the_engine_never_removes_or_overwrites_a_file_it_did_not_write(tmp_path, existing):
    """The engine refuses a folder holding one of its output names, whether the file would convert or be
    rejected (a rejected file once removed the folder's `<table>.parquet` as a 'stale output')."""
    out = tmp_path / "out"
    out.mkdir()
    (out / existing).write_bytes(b"not ours")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\n\n")
    good = write_jsonl(tmp_path / "good.jsonl", [order(1)])
    for source in (bad, good):
        with pytest.raises(FileExistsError, match=existing.replace(".", r"\.")):
            convert_file(ORDERS, source, out)
        assert [p.name for p in out.iterdir()] == [existing] and (out / existing).read_bytes() == b"not ours"


def test_accepted_file_with_no_items_writes_empty_child_table(tmp_path: Path) -> None:
    lenient = dataclasses.replace(
        ORDERS, children=(dataclasses.replace(ORDERS.children[0], min_items=0),), rules=ORDERS.rules[1:]
    )
    result = convert_file(lenient, write_jsonl(tmp_path / "a.jsonl", [order(1, items=[])]), tmp_path / "out")
    assert result.status == "converted" and result.rows == {"orders": 1, "order_items": 0}
    empty = pq.read_table(result.outputs["order_items"])
    assert empty.num_rows == 0 and empty.schema == ORDERS.arrow_schema("order_items")


_GZIP = gzip.compress(jsonl_bytes([order(n) for n in range(1, 2000)]))
_TRUNCATED_GZIP = _GZIP[: len(_GZIP) // 2]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "cause"),
    [
        ("empty.jsonl", b"", "empty"),
        ("readme.jsonl", b"# Orders\nThis folder holds orders.\n", "not JSON"),
        ("garbage.bin", bytes(range(256)) * 10, "not JSON"),
        ("truncated.jsonl.gz", _TRUNCATED_GZIP, "unreadable"),
        ("broken.json", b'[{"order_id": "A"}, {"order_id": ', "invalid JSON document"),
        ("other.json", b'[{"name": "a"}, {"name": "b"}]', "2 of 2 records invalid"),
        ("fake.parquet", b"PAR1 this is not parquet", "unreadable Parquet"),
    ],
)
def test_unreadable_files_are_rejected_whole(tmp_path: Path, name: str, data: bytes, cause: str) -> None:
    out = tmp_path / "out"
    result = convert_file(ORDERS, _write(tmp_path / name, data), out, source_name=NAME)
    _assert_rejected(result, out, cause)


def test_parquet_of_another_shape_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"customer_id": ["C1"], "email": ["a@b.c"]}), source)
    out = tmp_path / "out"
    result = convert_file(ORDERS, source, out, source_name=NAME)
    _assert_rejected(
        result, out, "does not fit dataset 'orders'", "`order_id` is missing (a required string)", "`items` is missing"
    )
    assert result.counts == {"read": 0, "written": 0, "rejected": 0} and result.rejects_path is None


def test_unwritable_out_dir_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        convert_file(ORDERS, write_jsonl(tmp_path / "a.jsonl", [order(1)]), blocker / "out")
