"""CSV and TSV input: the same rows however a producer wrote them; a malformed record is one reject with its
line number, the rest of the file loads, and the books balance."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.read.csv_reading import detect_delimiter
from order_pipeline.conversion.read.formats import detect_format
from order_pipeline.datasets.csv_options import CsvOptions
from order_pipeline_tests.support.shipments import (
    HEADER,
    duckdb_csv,
    parquet_bytes,
    python_csv,
    shipment_rows,
    shipments_dataset,
    spreadsheet_csv,
    tsv_gz,
)

DATASET = shipments_dataset()
LANDED_AT = datetime(2026, 11, 20, tzinfo=timezone.utc)


def _convert(tmp_path: Path, name: str, data: bytes, dataset=DATASET, **kwargs):
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / f"out-{name}"
    name = f"s3://bucket/landing/shipments/{name}"
    return convert_file(dataset, source, out, source_name=name, landed_at=LANDED_AT, **kwargs)


def _rows(result) -> list[dict]:
    rows = pq.read_table(result.outputs["shipments"]).to_pylist()
    return [{k: v for k, v in row.items() if k != "_source_file"} for row in rows]


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.csv", b"a,b\n1,2\n", "csv"),
        ("a.CSV.gz", gzip.compress(b"a,b\n", mtime=0), "csv"),
        ("a.tsv", b"a\tb\n", "tsv"),
    ],
)
def test_csv_and_tsv_are_told_by_their_suffix(name: str, head: bytes, expected: str) -> None:
    assert detect_format(head, name) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb", "\t"), ("a|b", "|"), ('"a;x",b', ","), ("a;b,c", ","), ("a", ",")],
)
def test_the_delimiter_is_detected_only_when_unambiguous(header: str, expected: str) -> None:
    assert detect_delimiter(header, '"') == expected


def test_duckdb_python_and_spreadsheet_csv_load_identically(tmp_path: Path) -> None:
    rows = shipment_rows(40)
    results = {
        "python.csv": _convert(tmp_path, "python.csv", python_csv(rows)),
        "duckdb.csv": _convert(tmp_path, "duckdb.csv", duckdb_csv(rows, tmp_path)),
        "spreadsheet.csv": _convert(tmp_path, "spreadsheet.csv", spreadsheet_csv(rows)),
        "gzipped.tsv.gz": _convert(tmp_path, "gzipped.tsv.gz", tsv_gz(rows)),
        "parquet.parquet": _convert(tmp_path, "parquet.parquet", parquet_bytes(rows)),
    }
    for name, result in results.items():
        assert (name, result.status, result.rejected_records) == (name, "converted", 0), result.first_rejects
    loaded = {name: _rows(result) for name, result in results.items()}
    reference = loaded.pop("parquet.parquet")
    for name, got in loaded.items():
        assert got == reference, name
    assert reference[1]["note"] == "line one\nline two" and reference[0]["note"] == 'said "fragile", twice'
    assert reference[0]["cost"] == Decimal("1.37") and reference[0]["pickup_time"] == "09:01:15.000000"
    assert json.loads(reference[0]["attributes"]) == {"n": 1, "tags": ["a", "b"]}


BAD_FILE = (
    "shipment_id,carrier,cost,ship_date,shipped_at,note\n"  # line 1
    "SH-1,dhl,1.50,2026-11-01,2026-11-01T08:00:00Z,ok\n"  # 2
    "SH-2,ups,2.50,2026-11-02,2026-11-02T08:00:00Z\n"  # 3: a field short
    'SH-3,dhl,3.50,2026-11-03,2026-11-03T08:00:00Z,"two\nlines, fine"\n'  # 4-5
    "SH-4,fedex,4.50,2026-13-45,2026-11-04T08:00:00Z,bad date\n"  # 6
    'SH-5,dhl,5.50,2026-11-05,2026-11-05T08:00:00Z,"never closed\n'  # 7: unclosed quote
    "SH-6,ups,6.50,2026-11-06,2026-11-06T08:00:00Z,after\n"  # 8
    "SH-7,ups,7.505,2026-11-07,2026-11-07T08:00:00Z,three places\n"  # 9
    "SH-8,dhl,8.50,2026-11-08,2026-11-08T08:00:00Z,last\n"  # 10
)


def test_malformed_rows_are_rejected_with_their_line_and_the_rest_loads(tmp_path: Path) -> None:
    result = _convert(tmp_path, "bad.csv", BAD_FILE.encode())
    assert result.status == "partial"
    counts = result.counts
    assert counts["read"] == 8 and counts["read"] == counts["written"] + counts["rejected"]
    assert [row["shipment_id"] for row in _rows(result)] == ["SH-1", "SH-3", "SH-6", "SH-8"]
    rejects = {r["line"]: r for r in (json.loads(line) for line in result.rejects_path.read_text().splitlines())}
    assert sorted(rejects) == [3, 6, 7, 9]
    assert "5 fields where the header has 6" in rejects[3]["reason"]
    assert rejects[6]["field"] == "ship_date" and "2026-13-45" in rejects[6]["reason"]
    assert "unclosed quote" in rejects[7]["reason"] or "malformed CSV" in rejects[7]["reason"]
    assert rejects[9]["field"] == "cost"
    assert [rejects[line]["record"] for line in (3, 6, 7, 9)] == [2, 4, 5, 7]
    assert _rows(result)[1]["note"] == "two\nlines, fine" and _rows(result)[2]["_source_record"] == 6


def test_an_unclosed_quote_on_the_last_line_rejects_only_that_line(tmp_path: Path) -> None:
    data = python_csv(shipment_rows(3)) + b'SH-9,dhl,,,"open\r\n'
    result = _convert(tmp_path, "tail.csv", data)
    assert result.status == "partial" and result.rows["shipments"] == 3 and result.rejected_records == 1
    assert result.first_rejects[0]["line"] == 6  # header, three rows on lines 2-5 (row 2's note has a line end)


def test_null_marker_booleans_bom_and_blank_lines(tmp_path: Path) -> None:
    dataset = shipments_dataset(csv=CsvOptions(null_marker=r"\N", true_values=("Y",), false_values=("N",)))
    text = (
        "\ufeffshipment_id|carrier|note|fragile|cost|ship_date|shipped_at\n"
        "SH-1|dhl||Y|1.00|2026-11-01|2026-11-01T08:00:00+01:00\n"
        "\n"
        "SH-2|ups|\\N|n|2.00|2026-11-02|2026-11-02 08:00:00Z\n"
        "SH-3|ups|x|maybe|3.00|2026-11-03|2026-11-03T08:00:00Z\n"
    )
    result = _convert(tmp_path, "marker.csv", text.encode(), dataset=dataset)
    rows = _rows(result)
    assert [(r["note"], r["fragile"]) for r in rows] == [("", True), (None, False)]
    assert rows[0]["shipped_at"].isoformat() == "2026-11-01T07:00:00+00:00"
    assert result.rejected_records == 1 and result.first_rejects[0]["line"] == 5
    assert result.first_rejects[0]["field"] == "fragile"


def test_a_header_without_a_required_column_rejects_every_row_naming_it(tmp_path: Path) -> None:
    result = _convert(tmp_path, "short.csv", b"shipment_id,carrier\nSH-1,dhl\n")
    assert result.status == "rejected" and "cost" in json.dumps(result.first_rejects)


def test_undeclared_header_columns_quarantine_the_file_when_the_dataset_rejects_them(tmp_path: Path) -> None:
    strict = shipments_dataset(extra_fields="reject")
    result = _convert(tmp_path, "extra.csv", python_csv(shipment_rows(2)).replace(b"shipped_at", b"shipped_on"), strict)
    assert result.status == "rejected" and "'shipped_on'" in result.file_error


def test_batches_cross_multi_line_records(tmp_path: Path) -> None:
    rows = shipment_rows(50)
    whole = _rows(_convert(tmp_path, "whole.csv", python_csv(rows)))
    assert _rows(_convert(tmp_path, "small.csv", python_csv(rows), batch_rows=3)) == whole
    assert [r["_source_record"] for r in whole] == list(range(1, 51)) and len(HEADER) == 14
