"""The schema state in S3 (moto over HTTP): conditional writes lose no update and report no field twice; a part of an
older layout is brought to the current one before it is loaded."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.evolution import observe
from order_pipeline.landing import FileVersion
from order_pipeline.steps.lake.convert_partition import read_record
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.schema_state import SchemaStateStore
from order_pipeline.steps.warehouse.part_layout import conform_part
from order_pipeline_tests.support.s3_requests import counting_s3_client

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


def test_concurrent_updates_both_land_and_each_field_is_reported_once(s3_client, bucket):
    settings = Settings(bucket=bucket)
    mine, theirs = (
        SchemaStateStore(s3_client, settings.layout, EVENTS),
        SchemaStateStore(s3_client, settings.layout, EVENTS),
    )
    calls = []

    def change(state):
        calls.append(state)
        if len(calls) == 1:  # another run stores its own finding between our read and our write
            theirs.observe([("region", pa.string(), True), ("channel", pa.string(), True)], "s3://b/theirs")
        return observe(state, EVENTS, [("channel", pa.string(), True)], "s3://b/mine", AT)

    result = mine.update(change)
    assert len(calls) == 2  # the first write was refused (the state changed), the second one read it again
    assert result.reported == () and result.evolved == ()  # theirs reported and added channel first
    stored = json.loads(s3_client.get_object(Bucket=bucket, Key="lake/_schemas/events.json")["Body"].read())
    assert [c["name"] for c in stored["evolved"]] == ["region", "channel"]
    assert {path: entry["first_seen"] for path, entry in stored["reported"].items()} == {
        "region": "s3://b/theirs",
        "channel": "s3://b/theirs",
    }
    assert [c.name for c in mine.effective().evolved] == ["region", "channel"]


def test_a_store_reads_the_state_once_and_a_file_with_nothing_new_costs_no_request(bucket):
    client, calls = counting_s3_client()
    store = SchemaStateStore(client, Settings(bucket=bucket).layout, EVENTS)
    store.observe([("channel", pa.string(), True)], "s3://b/first")
    assert calls == {"GetObject": 1, "PutObject": 1}
    for name in ("second", "third"):  # the same field again, then nothing undeclared: no request at all
        dataset, seen = store.observe([("channel", pa.string(), True)], f"s3://b/{name}")
        assert seen.reported == () and [c.name for c in dataset.evolved] == ["channel"]
        assert [c.name for c in store.effective().evolved] == ["channel"]
    store.observe([], "s3://b/fourth")
    assert calls == {"GetObject": 1, "PutObject": 1}


def test_a_stale_store_reads_the_state_again_when_its_write_is_refused(s3_client, bucket):
    layout = Settings(bucket=bucket).layout
    mine, theirs = SchemaStateStore(s3_client, layout, EVENTS), SchemaStateStore(s3_client, layout, EVENTS)
    assert mine.effective().evolved == ()  # mine now knows the state without `region`
    theirs.observe([("region", pa.string(), True)], "s3://b/theirs")
    dataset, seen = mine.observe([("region", pa.string(), True)], "s3://b/mine")
    assert seen.reported == ()  # theirs reported it: mine's write was refused and mine read the state again
    assert [c.name for c in dataset.evolved] == ["region"] == [c.name for c in mine.effective().evolved]
    stored = json.loads(s3_client.get_object(Bucket=bucket, Key="lake/_schemas/events.json")["Body"].read())
    assert stored["reported"]["region"]["first_seen"] == "s3://b/theirs"


def test_an_unreadable_state_is_not_overwritten(s3_client, bucket):
    settings = Settings(bucket=bucket)
    s3_client.put_object(Bucket=bucket, Key="lake/_schemas/events.json", Body=b"{not json")
    store = SchemaStateStore(s3_client, settings.layout, EVENTS)
    try:
        store.observe([("x", pa.string(), True)], "s3://b/f")
    except ValueError as error:
        assert "unreadable schema state" in str(error) and "lake/_schemas/events.json" in str(error)
    else:
        raise AssertionError("an unreadable state must stop the step")
    assert s3_client.get_object(Bucket=bucket, Key="lake/_schemas/events.json")["Body"].read() == b"{not json"


def test_a_part_of_an_older_layout_is_conformed_in_place(s3_client, bucket):
    settings = Settings(bucket=bucket)
    part_key = "lake/events/dt=2026-11-20/a.jsonl.x.parquet"
    sink = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "event_id": [1],
                "at": pa.array([datetime(2026, 11, 20, tzinfo=timezone.utc)], pa.timestamp("us", tz="UTC")),
                "version": [1],
                "_source_file": ["s3://b/a.jsonl"],
                "_source_record": [1],
            }
        ),
        sink,
    )
    s3_client.put_object(Bucket=bucket, Key=part_key, Body=sink.getvalue())
    version = FileVersion(
        bucket, "landing/events/2026/11/20/a.jsonl", "etag1", 10, datetime(2026, 11, 20, tzinfo=timezone.utc)
    )
    converted = ConvertedFile(
        source=version,
        partition="2026-11-20",
        status="converted",
        total_records=1,
        parts={"events": f"s3://{bucket}/{part_key}"},
        rows={"events": 1},
    )
    s3_client.put_object(
        Bucket=bucket,
        Key=settings.layout.record_key(EVENTS.name, "2026-11-20", version),
        Body=converted.to_json().encode(),
    )
    evolved = EVENTS.with_evolved((Column("channel", "string", source="channel", max_bytes=65535),))
    assert conform_part(s3_client, settings.layout, EVENTS, converted) is converted  # already in EVENTS' layout
    updated = conform_part(s3_client, settings.layout, evolved, converted)
    table = pq.read_table(io.BytesIO(s3_client.get_object(Bucket=bucket, Key=part_key)["Body"].read()))
    assert table.schema == evolved.arrow_schema() and table["channel"].to_pylist() == [None]
    stored = read_record(s3_client, settings.layout, EVENTS, "2026-11-20", version)
    assert updated.evolved == ["channel"] == stored.evolved
