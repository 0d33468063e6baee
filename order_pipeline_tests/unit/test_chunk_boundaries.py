"""Property tests of the chunked JSON reader: every record is accounted for, whatever falls on a chunk boundary.

Generated files (support/generated_files.py) put records of every size around the read chunk size, bad records
of many kinds anywhere, blank lines and every kind of line end, and are converted with that small chunk size,
so each file crosses many chunk boundaries. For every file: records read = rows written + rejected, each
good record is a row with its own ordinal, each bad one a reject with its line, and the latest version of each
order is the one the warehouse's rule (updated_at, then file order) picks from the rows.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.engine import MAX_CHUNK_BYTES
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline_tests.support.generated_files import BAD_KINDS, START, GeneratedFile, cut_file, generated_file

SEEDS = range(160)


def _convert(file: GeneratedFile, tmp_path: Path, chunk_bytes: int | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / file.name
    source.write_bytes(file.content)
    return convert_file(
        ORDERS, source, tmp_path / "out", source_name=f"s3://b/{file.name}", chunk_bytes=chunk_bytes or file.chunk_bytes
    )


def _rejects(path: Path | None) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path else []


def _check(file: GeneratedFile, result) -> None:
    assert result.status == ("partial" if file.bad else "converted"), (file.name, result.file_error)
    assert result.counts == {"read": len(file.records), "written": len(file.good), "rejected": len(file.bad)}
    assert result.total_records == result.rows["orders"] + result.rejected_records
    rows = pq.read_table(result.outputs["orders"]).to_pylist()
    assert [row["_source_record"] for row in rows] == [r.record for r in file.good]
    assert [row["order_id"] for row in rows] == [r.order["order_id"] for r in file.good]
    rejects = _rejects(result.rejects_path)
    assert [(r["record"], r["line"]) for r in rejects] == [(r.record, r.line) for r in file.bad], file.name
    assert all(r["reason"] for r in rejects)
    # the warehouse's rule, applied to the rows, picks the expected latest version of each order
    picked: dict[str, dict] = {}
    for row in rows:
        current = picked.get(row["order_id"])
        if current is None or (row["updated_at"], row["_source_record"]) >= (
            current["updated_at"],
            current["_source_record"],
        ):
            picked[row["order_id"]] = row
    expected = file.latest()
    assert {k: v["_source_record"] for k, v in picked.items()} == {k: v.record for k, v in expected.items()}
    assert {k: v["status"] for k, v in picked.items()} == {k: v.order["status"] for k, v in expected.items()}


def test_the_generator_covers_what_it_claims() -> None:
    files = [generated_file(seed) for seed in SEEDS]
    kinds = {r.kind for f in files for r in f.records}
    assert kinds == {"good", *BAD_KINDS}
    contents = [f.content if not f.name.endswith(".gz") else gzip.decompress(f.content) for f in files]
    assert any(b"\r\n" in c for c in contents) and any(b"\r" in c and b"\n" not in c for c in contents)
    assert any(f.name.endswith(".gz") for f in files) and any(c.startswith(b"\xef\xbb\xbf") for c in contents)
    near = sum(
        abs(len(line) - f.chunk_bytes) <= 4
        for f, c in zip(files, contents, strict=True)
        for line in c.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    )
    assert near >= 500  # plenty of lines within a few bytes of the chunk size
    ties = sum(len(f.good) - len({r.order["order_id"] for r in f.good}) for f in files)
    assert ties >= 100  # and plenty of orders with several versions in one file


@pytest.mark.parametrize("seed", SEEDS)
def test_every_record_is_accounted_for_across_chunk_boundaries(seed: int, tmp_path: Path) -> None:
    file = generated_file(seed)
    _check(file, _convert(file, tmp_path))


@pytest.mark.parametrize("chunk_bytes", [16, 97, 4096, MAX_CHUNK_BYTES])
def test_the_result_does_not_depend_on_the_chunk_size(chunk_bytes: int, tmp_path: Path) -> None:
    for seed in (3, 11, 42):
        file = generated_file(seed)
        _check(file, _convert(file, tmp_path / str(seed), chunk_bytes))


def test_duplicate_key_record_with_versions_on_both_sides_of_the_4_mib_cut(tmp_path: Path) -> None:
    """Found: the conversion record counted 651 records for 9,002, and the earlier version won."""
    content, first_record, first, second = cut_file()
    source = tmp_path / "cut.jsonl"
    source.write_bytes(content)
    assert content.count(b"\n") == 9_002 and len(content) > MAX_CHUNK_BYTES

    result = convert_file(ORDERS, source, tmp_path / "out", source_name="s3://b/cut.jsonl")

    assert result.status == "partial", result.file_error
    assert result.counts == {"read": 9_002, "written": 9_001, "rejected": 1}
    assert (result.total_records, result.rows["orders"], result.rejected_records) == (9_002, 9_001, 1)
    assert [(r["record"], r["line"]) for r in result.first_rejects] == [(101, 101)]
    assert "specified twice" in result.first_rejects[0]["reason"]
    rows = pq.read_table(result.outputs["orders"], columns=["order_id", "status", "_source_record"]).to_pylist()
    assert [row["_source_record"] for row in rows] == [n for n in range(1, 9_003) if n != 101]
    assert len({row["order_id"] for row in rows}) == 9_000
    versions = [(row["status"], row["_source_record"]) for row in rows if row["order_id"] == first["order_id"]]
    assert versions == [(first["status"], first_record), (second["status"], first_record + 1)]


def test_a_duplicate_key_record_alone_is_one_reject_and_the_books_balance(tmp_path: Path) -> None:
    orders = list(generate_orders(5, seed=2, start_date=START, id_prefix="DUP"))
    lines = [orjson.dumps(order) for order in orders]
    lines[2] = lines[2][:-1] + b',"order_id":' + orjson.dumps(orders[2]["order_id"]) + b"}"
    source = tmp_path / "dup.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    result = convert_file(ORDERS, source, tmp_path / "out")
    assert result.counts == {"read": 5, "written": 4, "rejected": 1}
    assert [(r["record"], r["line"], r["field"]) for r in result.first_rejects] == [(3, 3, None)]
    assert pq.read_table(result.outputs["orders"])["_source_record"].to_pylist() == [1, 2, 4, 5]
