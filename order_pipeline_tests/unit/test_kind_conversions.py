"""Every kind from what producers write: Arrow-native Parquet types of every width and unit, and JSON values."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.validate.kind_values import convert_values
from order_pipeline.datasets.declaration import ChildTable, Column, Dataset

UTC = timezone.utc
LANDED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY_MS = 20_000 * 86_400_000  # a date64 at midnight

EVERYTHING = Dataset(
    name="everything",
    merge_key=("id",),
    event_time_column="at",
    version_column="id",
    columns=(
        Column("id", "int64", nullable=False),
        Column("name", "string", max_bytes=32),
        Column("small", "int16"),
        Column("medium", "int32"),
        Column("ratio", "float32"),
        Column("score", "float64"),
        Column("amount", "decimal", precision=15, scale=2),
        Column("day", "date"),
        Column("clock", "time"),
        Column("at", "timestamp"),
        Column("flag", "boolean"),
        Column("payload", "json"),
    ),
    children=(ChildTable("parts", "parts", columns=(Column("label", "string"), Column("extra", "json"))),),
    max_bad_ratio=1.0,
)


def _convert(tmp_path: Path, table: pa.Table, dataset: Dataset = EVERYTHING, name: str = "in.parquet"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / name
    pq.write_table(table, source)
    return convert_file(dataset, source, tmp_path / "out", source_name=f"s3://b/{name}", landed_at=LANDED)


def _rows(result, table: str | None = None) -> list[dict]:
    return pq.read_table(result.outputs[table or "everything"]).to_pylist()


def _reasons(result) -> dict[tuple[int, str], str]:
    return {(r["record"], r["field"]): r["reason"] for r in result.first_rejects}


def test_arrow_native_parquet_of_every_kind_loads_as_it_is(tmp_path):
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.uint32()),
            "name": pa.array(["a", "b"], pa.string_view()),
            "small": pa.array([-5, 7], pa.int8()),
            "medium": pa.array([60000, None], pa.uint16()),
            "ratio": pa.array([0.5, 1.5], pa.float16()),
            "score": pa.array([1.25, 2.5], pa.float32()),
            "amount": pa.array([Decimal("12.34"), Decimal("0.10")], pa.decimal128(15, 2)),
            "day": pa.array([date(2026, 11, 20), date(2024, 2, 29)], pa.date32()),
            "clock": pa.array([time(8, 30), time(23, 59, 59, 999999)], pa.time64("ns")),
            "at": pa.array([datetime(2026, 11, 20, 9, tzinfo=UTC)] * 2, pa.timestamp("ms", tz="Europe/Paris")),
            "flag": pa.array([True, None]),
            "payload": pa.array(
                [{"k": 1, "v": [1, 2]}, None], pa.struct([("k", pa.int8()), ("v", pa.list_(pa.int8()))])
            ),
            "parts": pa.array(
                [[{"label": "x", "extra": "[1]"}], []],
                pa.list_(pa.struct([("label", pa.large_string()), ("extra", pa.string())])),
            ),
        }
    )
    result = _convert(tmp_path, table)
    assert result.status == "converted", result.first_rejects
    assert pq.read_schema(result.outputs["everything"]) == EVERYTHING.arrow_schema()
    first, second = _rows(result)
    assert (first["id"], first["name"], first["small"], first["medium"]) == (1, "a", -5, 60000)
    assert (first["ratio"], first["score"], first["amount"]) == (0.5, 1.25, Decimal("12.34"))
    assert (first["day"], second["day"]) == (date(2026, 11, 20), date(2024, 2, 29))
    assert (first["clock"], second["clock"]) == ("08:30:00.000000", "23:59:59.999999")
    assert first["at"] == datetime(2026, 11, 20, 9, tzinfo=UTC) and first["flag"] is True
    assert orjson.loads(first["payload"]) == {"k": 1, "v": [1, 2]} and second["payload"] is None
    assert _rows(result, "parts") == [
        {
            "id": 1,
            "line_number": 1,
            "label": "x",
            "extra": "[1]",
            "_source_file": "s3://b/in.parquet",
            "_source_record": 1,
        }
    ]


def test_dictionary_encoded_and_large_strings(tmp_path):
    table = pa.table(
        {
            "id": pa.array([1, 2, 3]),
            "at": pa.array(["2026-11-20T00:00:00Z"] * 3),
            "name": pa.array(["x", "y", "x"]).dictionary_encode(),
        }
    )
    table = table.append_column("day", pa.array(["2026-11-20", "2026-11-21", None], pa.large_string()))
    result = _convert(tmp_path, table)
    assert result.status == "converted", result.first_rejects
    assert [(r["name"], r["day"]) for r in _rows(result)] == [
        ("x", date(2026, 11, 20)),
        ("y", date(2026, 11, 21)),
        ("x", None),
    ]


def test_values_that_do_not_fit_reject_their_record_never_rounded(tmp_path):
    at = ["2026-11-20T00:00:00Z"] * 7
    table = pa.table(
        {
            "id": pa.array([1, 2, 3, 4, 5, 6, 2**63], pa.uint64()),
            "at": pa.array(at),
            "small": pa.array([1, 40000, 1, 1, 1, 1, 1], pa.int64()),
            "medium": pa.array([1.0, 1.0, 2.5, 1.0, 1.0, 1.0, 1.0]),
            "amount": pa.array(
                [
                    Decimal("1.2300"),
                    Decimal("1.2300"),
                    Decimal("1.2300"),
                    Decimal("1.2345"),
                    Decimal("1.2300"),
                    Decimal("1.2300"),
                    Decimal("1.2300"),
                ],
                pa.decimal128(20, 4),
            ),
            "day": pa.array([DAY_MS] * 4 + [None] + [DAY_MS] * 2, pa.int64()).cast(pa.date64()),
            "ratio": pa.array([1.0] * 4 + [1e39] + [1.0] * 2),
            "clock": pa.array([1_000] * 5 + [1_500] + [1_000], pa.time64("ns")),
        }
    )
    result = _convert(tmp_path, table)
    assert result.status == "partial" and result.rows["everything"] == 1
    reasons = _reasons(result)
    assert "40000 is out of range for int16" in reasons[(2, "small")]
    assert "2.5 is not an integer" in reasons[(3, "medium")]
    assert "is not a decimal number with at most 2 decimal places" in reasons[(4, "amount")]
    assert "1e+39 is out of range for float32" in reasons[(5, "ratio")]
    assert "more than microsecond precision" in reasons[(6, "clock")]
    assert "out of range for int64" in reasons[(7, "id")]
    assert _rows(result)[0]["amount"] == Decimal("1.23")


def test_a_date64_with_a_time_of_day_is_not_a_date():
    day = Column("day", "date")
    values, bad, why = convert_values(day, pa.array([DAY_MS, DAY_MS + 3_600_000, None], pa.int64()).cast(pa.date64()))
    assert bad.tolist() == [False, True, False] and "has a time of day" in why(1)
    assert values.to_pylist() == [date(2024, 10, 4), None, None]


def test_wide_decimals_are_range_checked(tmp_path):
    dataset = dataclasses.replace(
        EVERYTHING,
        columns=(*EVERYTHING.columns[:6], Column("amount", "decimal", precision=12, scale=2), *EVERYTHING.columns[7:]),
    )
    table = pa.table(
        {
            "id": [1, 2],
            "at": ["2026-11-20T00:00:00Z"] * 2,
            "amount": pa.array([Decimal("9999999999.99"), Decimal("10000000000.00")], pa.decimal256(40, 2)),
        }
    )
    result = _convert(tmp_path, table, dataset)
    assert result.rows["everything"] == 1
    assert "out of range for decimal(12, 2)" in _reasons(result)[(2, "amount")]


def test_naive_timestamps_follow_the_declared_policy(tmp_path):
    naive = pa.array([datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 2, 30)], pa.timestamp("us"))
    table = pa.table({"id": [1, 2], "at": naive})
    refused = _convert(tmp_path / "default", table)
    assert refused.status == "rejected" and refused.rejected_records == 0  # the schema: nothing guessed, no row read
    assert "`at` is timestamp[us] without a time zone" in refused.file_error

    def with_zone(zone: str) -> Dataset:
        columns = tuple(
            dataclasses.replace(c, naive_timezone=zone) if c.name == "at" else c for c in EVERYTHING.columns
        )
        return dataclasses.replace(EVERYTHING, columns=columns)

    utc = _convert(tmp_path / "utc", table, with_zone("UTC"))
    assert [r["at"] for r in _rows(utc)] == [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=UTC),
    ]
    berlin = _convert(tmp_path / "berlin", table, with_zone("Europe/Berlin"))
    assert [r["at"] for r in _rows(berlin)] == [datetime(2026, 3, 29, 0, 30, tzinfo=UTC)]
    assert "does not exist or is ambiguous in Europe/Berlin" in _reasons(berlin)[(2, "at")]  # the DST gap


def test_timestamps_of_every_unit(tmp_path):
    moment = datetime(2026, 11, 20, 8, 0, 1, tzinfo=UTC)
    for unit in ("s", "ms", "us", "ns"):
        table = pa.table({"id": [1], "at": pa.array([moment], pa.timestamp(unit, tz="UTC"))})
        result = _convert(tmp_path / unit, table)
        assert [r["at"] for r in _rows(result)] == [moment], unit


def test_json_input_of_every_kind(tmp_path):
    records = [
        {
            "id": 1,
            "name": "a",
            "small": 3,
            "medium": 4,
            "ratio": 0.25,
            "score": 1e300,
            "amount": "12.30",
            "day": "2026-11-20",
            "clock": "08:30",
            "at": "2026-11-20T08:00:00+01:00",
            "flag": False,
            "payload": {"nested": [1, {"x": None}]},
            "parts": [{"label": "p", "extra": {"a": 1}}, {"label": "q"}],
        },
        {"id": 2, "payload": [1, 2], "at": "2026-11-20T08:00:00Z"},
        {"id": 3, "payload": "text", "at": "2026-11-20T08:00:00Z", "day": "2026-02-30"},
        {"id": 4, "payload": 12.5, "at": "2026-11-20T08:00:00Z", "clock": "25:00"},
        {"id": 5, "at": "2026-11-20T08:00:00Z", "ratio": 1e39},
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = convert_file(EVERYTHING, source, tmp_path / "out", landed_at=LANDED)
    reasons = _reasons(result)
    assert "is not an ISO date" in reasons[(3, "day")]
    assert "is not an ISO time of day" in reasons[(4, "clock")]
    assert "out of range for float32" in reasons[(5, "ratio")]
    rows = _rows(result)
    assert [r["id"] for r in rows] == [1, 2]
    first = rows[0]
    assert (first["day"], first["clock"], first["amount"]) == (date(2026, 11, 20), "08:30:00.000000", Decimal("12.30"))
    assert first["at"] == datetime(2026, 11, 20, 7, tzinfo=UTC) and first["score"] == 1e300
    assert orjson.loads(first["payload"]) == {"nested": [1, {"x": None}]}
    assert orjson.loads(rows[1]["payload"]) == [1, 2]
    assert [(p["label"], p["extra"]) for p in _rows(result, "parts")] == [("p", '{"a":1}'), ("q", None)]


def test_json_values_of_every_shape_in_a_json_column(tmp_path):
    values = [{"a": 1}, [1, "x"], "text", 12.5, True, None]
    lines = [orjson.dumps({"id": n, "at": "2026-11-20T00:00:00Z", "payload": v}) for n, v in enumerate(values)]
    lines.append(b'{"id": 6, "at": "2026-11-20T00:00:00Z", "payload": 1000000000000000000000000000000}')
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    result = convert_file(EVERYTHING, source, tmp_path / "out", landed_at=LANDED)
    assert result.status == "converted", result.first_rejects
    assert [r["payload"] for r in _rows(result)] == [
        '{"a":1}',
        '[1,"x"]',
        '"text"',
        "12.5",
        "true",
        None,
        "1e+30",
    ]  # numbers are kept as doubles


def test_json_text_in_a_parquet_string_column_must_parse(tmp_path):
    table = pa.table({"id": [1, 2], "at": ["2026-11-20T00:00:00Z"] * 2, "payload": ['{"a": 1}', "{broken"]})
    result = _convert(tmp_path, table)
    assert result.rows["everything"] == 1
    assert "is not valid JSON text" in _reasons(result)[(2, "payload")]


def test_unexpected_fields_are_still_rejected_with_json_columns(tmp_path):
    strict = dataclasses.replace(EVERYTHING, extra_fields="reject")
    records = [
        {"id": 1, "at": "2026-11-20T00:00:00Z", "payload": {"free": {"form": 1}}},
        {"id": 2, "at": "2026-11-20T00:00:00Z", "coupon": "X"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = convert_file(strict, source, tmp_path / "out", landed_at=LANDED)
    assert result.rows["everything"] == 1 and _rows(result)[0]["payload"] == '{"free":{"form":1}}'
    assert _reasons(result)[(2, "coupon")] == "unexpected field"


def test_landing_time_fills_the_version_of_a_dataset_without_one(tmp_path):
    unversioned = dataclasses.replace(EVERYTHING, version_column=None)
    result = _convert(tmp_path, pa.table({"id": [1], "at": ["2026-11-20T00:00:00Z"]}), unversioned)
    assert _rows(result)[0]["_source_landed_at"] == LANDED
    assert unversioned.ordering_column == "_source_landed_at" and EVERYTHING.ordering_column == "id"
    assert [c.name for c in unversioned.table_columns()][-3:] == ["_source_file", "_source_record", "_source_landed_at"]
    assert timedelta(0) == LANDED - _rows(result)[0]["_source_landed_at"]


def test_naive_iso_text_follows_the_declared_zone_too(tmp_path):
    columns = tuple(
        dataclasses.replace(c, naive_timezone="Europe/Paris") if c.name == "at" else c for c in EVERYTHING.columns
    )
    paris = dataclasses.replace(EVERYTHING, columns=columns)
    records = [
        {"id": 1, "at": "2026-11-20T08:00:00"},
        {"id": 2, "at": "2026-11-20T08:00:00Z"},
        {"id": 3, "at": "2026-03-29T02:30:00"},
        {"id": 4, "at": "yesterday"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = convert_file(paris, source, tmp_path / "out", landed_at=LANDED)
    assert [(r["id"], r["at"]) for r in _rows(result)] == [
        (1, datetime(2026, 11, 20, 7, tzinfo=UTC)),
        (2, datetime(2026, 11, 20, 8, tzinfo=UTC)),
    ]
    assert sorted(_reasons(result)) == [(3, "at"), (4, "at")]
    assert "does not exist or is ambiguous in Europe/Paris" in _reasons(result)[(3, "at")]  # the DST gap
    assert "is not an ISO-8601 timestamp" in _reasons(result)[(4, "at")]
