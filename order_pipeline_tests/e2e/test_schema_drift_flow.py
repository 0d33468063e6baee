"""Undeclared columns are seen (materialization metadata, one `schema_drift` notification per new column) and,
with `new_columns="add"`, evolve the table on both warehouses: existing rows get NULL, new rows are filled."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime, timezone

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline_tests.support.pipeline_harness import local_pipeline

TODAY = datetime.now(timezone.utc).date()

EVENTS = Dataset(
    name="events",
    merge_key=("event_id",),
    event_time_column="at",
    version_column="version",
    new_columns="add",
    owners=("team:web",),
    columns=(
        Column("event_id", "int64", nullable=False),
        Column("kind", "string", nullable=False, max_bytes=32),
        Column("at", "timestamp", nullable=False),
        Column("version", "int64", nullable=False),
    ),
)


def event(number: int, **extra) -> dict:
    return {"event_id": number, "kind": "click", "at": "2026-11-20T08:00:00Z", "version": 1, **extra}


def jsonl(*records: dict) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def drift_events(pipeline) -> list[dict]:
    return [m for m in pipeline.notifications() if m["event_type"] == "schema_drift"]


def lake_metadata(outcome) -> dict:
    (run,) = outcome.runs
    for materialization in run.get_asset_materialization_events():
        if materialization.asset_key.to_user_string() == "lake/events_parquet":
            return materialization.materialization.metadata
    raise AssertionError("no lake materialization")


def test_new_columns_are_reported_once_and_evolve_the_table(aws_endpoint, bucket, tmp_path, warehouse_env):  # noqa: F811
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(EVENTS,), extra_env=warehouse_env) as pipeline:
        prefix = f"{pipeline.settings.landing_root('events')}{TODAY:%Y/%m/%d}"
        pipeline.land(f"{prefix}/a.jsonl", jsonl(event(1), event(2)))
        assert not pipeline.tick(EVENTS).failed_runs
        assert drift_events(pipeline) == []

        # two new fields: both reported in one notification, both added as columns
        pipeline.land(f"{prefix}/b.jsonl", jsonl(event(3, channel="web", score=4), event(4, channel="app", score=5)))
        outcome = pipeline.tick(EVENTS)
        assert not outcome.failed_runs
        (drift,) = drift_events(pipeline)
        assert drift["file"].endswith("/b.jsonl") and drift["new_columns"] == "add"
        assert [(f["field"], f["type"], f["column_added"]) for f in drift["fields"]] == [
            ("channel", "string", True),
            ("score", "int64", True),
        ]
        metadata = lake_metadata(outcome)
        assert metadata["undeclared_fields"].value == ["channel", "score"]
        assert "column added" in metadata["schema_drift"].value
        assert pipeline.query('SELECT "event_id", "channel", "score" FROM "events" ORDER BY 1') == [
            (1, None, None),
            (2, None, None),
            (3, "web", 4),
            (4, "app", 5),
        ]

        # seen again: loaded, not reported again; and a file without the fields in the same partition
        pipeline.land(f"{prefix}/c.jsonl", jsonl(event(5), event(2, channel="mail", version=2)))
        assert not pipeline.tick(EVENTS).failed_runs
        assert drift_events(pipeline) == []
        assert pipeline.query('SELECT "event_id", "channel" FROM "events" WHERE "event_id" IN (2, 5) ORDER BY 1') == [
            (2, "mail"),
            (5, None),
        ]

        # an older-layout file and a file adding a column, converted in one run: both load (the older part is
        # brought to the new layout), the new column is Parquet-typed here
        pipeline.land(f"{prefix}/d.jsonl", jsonl(event(6, channel="web")))
        sink = io.BytesIO()
        pq.write_table(
            pa.table(
                {
                    "event_id": [7],
                    "kind": ["view"],
                    "at": ["2026-11-20T09:00:00Z"],
                    "version": [1],
                    "region": pa.array(["eu"], pa.string_view()),
                }
            ),
            sink,
        )
        pipeline.land(f"{prefix}/e.parquet", sink.getvalue())
        assert not pipeline.tick(EVENTS).failed_runs
        assert [f["field"] for m in drift_events(pipeline) for f in m["fields"]] == ["region"]
        assert pipeline.query(
            'SELECT "event_id", "channel", "score", "region" FROM "events" WHERE "event_id" >= 6 ORDER BY 1'
        ) == [(6, "web", None, None), (7, None, None, "eu")]
        assert pipeline.query('SELECT COUNT(*) FROM "events"') == [(7,)]
        # the order of the table's columns: declared, lineage, then evolved as first seen (ALTER TABLE appends)
        columns = [
            row[0]
            for row in pipeline.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' "
                "AND table_schema = current_schema() ORDER BY ordinal_position"
            )
        ]
        assert columns == [
            "event_id",
            "kind",
            "at",
            "version",
            "_source_file",
            "_source_record",
            "channel",
            "score",
            "region",
        ]
        state = json.loads(pipeline.s3.get_object(Bucket=bucket, Key="lake/_schemas/events.json")["Body"].read())
        assert [c["name"] for c in state["evolved"]] == ["channel", "score", "region"]


def test_without_evolution_new_columns_are_only_reported(aws_endpoint, bucket, tmp_path, warehouse_env):  # noqa: F811
    reported_only = dataclasses.replace(EVENTS, new_columns="report")
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(reported_only,), extra_env=warehouse_env) as pipeline:
        prefix = f"{pipeline.settings.landing_root('events')}{TODAY:%Y/%m/%d}"
        pipeline.land(f"{prefix}/a.jsonl", jsonl(event(1, channel="web", meta={"ab": "b"})))
        assert not pipeline.tick(reported_only).failed_runs
        pipeline.land(f"{prefix}/b.jsonl", jsonl(event(2, channel="app")))
        assert not pipeline.tick(reported_only).failed_runs
        (drift,) = drift_events(pipeline)  # once, although the second file holds the field too
        assert [(f["field"], f["type"], f["column_added"]) for f in drift["fields"]] == [
            ("channel", "string", False),
            ("meta", "struct<ab: string>", False),
        ]
        assert pipeline.query('SELECT COUNT(*) FROM "events"') == [(2,)]
        columns = {
            row[0]
            for row in pipeline.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' "
                "AND table_schema = current_schema()"
            )
        }
        assert "channel" not in columns and "meta" not in columns
