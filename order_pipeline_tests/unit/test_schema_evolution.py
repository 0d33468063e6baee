"""Schema drift found before conversion, reported once, and turned into evolved columns only where it can be."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.drift import MIXED, infer_type, probe_file, type_label
from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.evolution import SchemaState, evolved_column, observe
from order_pipeline.steps.warehouse.part_layout import conformed

EVENTS = Dataset(
    name="events",
    merge_key=("event_id",),
    event_time_column="at",
    version_column="version",
    new_columns="add",
    columns=(
        Column("event_id", "int64", nullable=False),
        Column("at", "timestamp", nullable=False),
        Column("version", "int64", nullable=False),
    ),
)
AT = "2026-11-28T00:00:00+00:00"


def test_a_field_is_reported_once_and_added_once():
    fields = [("channel", pa.string(), True), ("meta.source", pa.string(), False)]
    first = observe(SchemaState(), EVENTS, fields, "s3://b/a.jsonl", AT)
    assert first.reported == ("channel", "meta.source") and first.evolved == ("channel",)
    assert first.not_evolved == {"meta.source": "only top-level fields become columns"}
    assert first.state.reported["channel"] == {"type": "string", "first_seen": "s3://b/a.jsonl", "reported_at": AT}
    (channel,) = first.state.evolved
    assert (channel.kind, channel.max_bytes, channel.nullable, channel.source) == ("string", 65535, True, "channel")
    again = observe(first.state, EVENTS, fields, "s3://b/b.jsonl", AT)
    assert again.reported == () and again.evolved == () and again.state == first.state
    assert SchemaState.from_json(first.state.to_json()) == first.state


def test_reporting_only_adds_no_column_until_the_declaration_says_add():
    reported = dataclasses.replace(EVENTS, new_columns="report")
    seen = observe(SchemaState(), reported, [("channel", pa.string(), True)], "s3://b/a", AT)
    assert seen.reported == ("channel",) and seen.state.evolved == ()
    later = observe(seen.state, EVENTS, [("channel", pa.string(), True)], "s3://b/b", AT)
    assert later.reported == () and later.evolved == ("channel",)  # added when seen again with "add"
    assert later.state.columns_for(reported) == ()  # a dataset that only reports carries none
    assert [c.name for c in later.state.columns_for(EVENTS)] == ["channel"]
    promoted = dataclasses.replace(EVENTS, columns=(*EVENTS.columns, Column("channel", "string")))
    assert later.state.columns_for(promoted) == ()  # declared now: no longer an evolved column


@pytest.mark.parametrize(
    ("type_", "kind", "options"),
    [
        (pa.large_string(), "string", {"max_bytes": 65535}),
        (pa.uint8(), "int64", {}),
        (pa.float32(), "float64", {}),
        (pa.decimal128(15, 3), "decimal", {"precision": 15, "scale": 3}),
        (pa.date32(), "date", {}),
        (pa.time32("s"), "time", {}),
        (pa.bool_(), "boolean", {}),
        (pa.struct([("a", pa.int8())]), "json", {}),
        (pa.list_(pa.string()), "json", {}),
        (pa.timestamp("ms", tz="UTC"), "timestamp", {"naive_timezone": None}),
        (pa.timestamp("ms"), "timestamp", {"naive_timezone": "UTC"}),
        (pa.decimal256(60, 2), "decimal", {"precision": 38, "scale": 2}),
    ],
)
def test_the_kind_of_an_evolved_column_follows_the_type_as_written(type_, kind, options):
    column, why = evolved_column("x", type_, "s3://b/f")
    assert why == "" and column is not None and column.kind == kind
    assert {key: getattr(column, key) for key in options} == options
    assert "first seen in s3://b/f" in column.description


@pytest.mark.parametrize(
    ("name", "type_", "why"),
    [
        ("Channel", pa.string(), "not a plain lower-case identifier"),
        ("two words", pa.string(), "not a plain"),
        ("blob", pa.binary(), "no column kind holds binary"),
        ("nothing", pa.null(), "no column kind holds null"),
    ],
)
def test_fields_that_cannot_become_columns_say_why(name, type_, why):
    column, reason = evolved_column(name, type_, "s3://b/f")
    assert column is None and why in reason


def test_a_name_taken_by_lineage_is_not_added():
    seen = observe(SchemaState(), EVENTS, [("_source_file", pa.string(), True)], "s3://b/a", AT)
    assert seen.evolved == () and seen.not_evolved == {"_source_file": "a column of that name exists"}


def test_json_samples_are_typed_like_arrow_would():
    assert infer_type([1, 2, None]) == pa.int64() and infer_type([1, 2.5]) == pa.float64()
    assert infer_type(["a", 1]) == MIXED and type_label(MIXED) == "mixed JSON values"
    assert infer_type([{"a": 1}, {"b": "x"}]) == pa.struct([("a", pa.int64()), ("b", pa.string())])
    assert infer_type([[{"a": True}], []]) == pa.list_(pa.struct([("a", pa.bool_())]))
    assert infer_type([None]) == pa.null()


def test_the_probe_reads_a_parquet_schema_and_a_json_sample(tmp_path: Path):
    parquet = tmp_path / "a.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": [1],
                "at": ["2026-11-20T00:00:00Z"],
                "version": [1],
                "region": pa.array(["eu"], pa.string_view()),
            }
        ),
        parquet,
    )
    assert [(f.path, f.type) for f in probe_file(EVENTS, parquet, "a")] == [("region", pa.string_view())]
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_bytes(
        b"".join(
            orjson.dumps(r) + b"\n"
            for r in [{"event_id": 1, "score": 1}, {"event_id": 2, "score": 2.5, "tags": ["x"]}, "not an object"]
        )
        + b"{broken\n"
    )
    assert [(f.path, f.type) for f in probe_file(EVENTS, jsonl, "b")] == [
        ("score", pa.float64()),
        ("tags", pa.list_(pa.string())),
    ]
    garbage = tmp_path / "c.bin"
    garbage.write_bytes(b"\x00\x01 not a data file")
    assert probe_file(EVENTS, garbage, "c") == []  # the conversion says why it is unreadable


def test_the_json_probe_finds_what_the_inferred_schema_would_show_nested_drift_included():
    from order_pipeline.conversion.drift import undeclared_in_records
    from order_pipeline.conversion.read.schema_check import declared_tree, undeclared_fields
    from order_pipeline.datasets.orders import ORDERS
    from order_pipeline.datasets.orders_generator import encode_jsonl, generate_orders

    text = encode_jsonl(generate_orders(200, seed=3, start_date=date(2026, 11, 20)))
    records = [orjson.loads(line) for line in text.splitlines()]
    records[5]["coupon"] = "X1"
    records[7]["shipping_address"]["floor"] = 3
    records[9]["items"][0]["note"] = {"gift": True}
    records[11]["coupon"] = 5  # mixed
    inferred = pa.schema(
        [(k, infer_type([r.get(k) for r in records])) for k in dict.fromkeys(k for r in records for k in r)]
    )
    expected = [(f.path, f.type) for f in undeclared_fields(ORDERS, inferred)]
    assert expected == [
        ("shipping_address.floor", pa.int64()),
        ("items[].note", pa.struct([("gift", pa.bool_())])),
        ("coupon", MIXED),
    ]
    assert [(f.path, f.type) for f in undeclared_in_records(records, declared_tree(ORDERS), "")] == expected


def test_evolved_columns_follow_the_lineage_columns_in_the_canonical_parquet(tmp_path: Path):
    column, _ = evolved_column("channel", pa.string(), "s3://b/a")
    evolved = EVENTS.with_evolved((column,))
    assert [c.name for c in evolved.table_columns()] == [
        "event_id",
        "at",
        "version",
        "_source_file",
        "_source_record",
        "channel",
    ]
    source = tmp_path / "a.jsonl"
    source.write_bytes(orjson.dumps({"event_id": 1, "at": "2026-11-20T00:00:00Z", "version": 1, "channel": "web"}))
    result = convert_file(evolved, source, tmp_path / "out")
    table = pq.read_table(result.outputs["events"])
    assert table.schema == evolved.arrow_schema() and table["channel"].to_pylist() == ["web"]
    # an older part, brought to the new layout: the evolved column appended as nulls
    older = convert_file(EVENTS, source, tmp_path / "older")
    padded = conformed(pq.read_table(older.outputs["events"]), evolved.arrow_schema())
    assert padded.schema == evolved.arrow_schema() and padded["channel"].to_pylist() == [None]
