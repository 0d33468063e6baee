"""Redshift's rules honoured on our side, before the warehouse sees a statement or a row: json columns are never
keys, json is staged as text and parsed into SUPER, and a lineage URI longer than its column is refused."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse import sql_ddl
from order_pipeline.warehouse.base import BatchFile, LoadBatch
from order_pipeline.warehouse.sql_batch import SOURCE_FILE_BYTES, check_batch

EVENTS = dict(
    name="events",
    version_column="v",
    event_time_column="at",
    columns=(
        Column("id", "string", max_bytes=16),
        Column("v", "int64"),
        Column("at", "timestamp"),
        Column("payload", "json"),
    ),
)


@pytest.mark.parametrize("role", ["merge_key", "version_column", "event_time_column"])
def test_a_json_column_cannot_be_a_key_of_a_dataset(role):
    values = {**EVENTS, "merge_key": ("id",), role: ("payload",) if role == "merge_key" else "payload"}
    with pytest.raises(ValueError, match="is a json column; choose a scalar one"):
        Dataset(**values)


def test_a_json_column_cannot_be_a_distkey_or_sortkey_of_a_table():
    columns = EVENTS["columns"]
    with pytest.raises(ValueError, match="DISTKEY column 'payload' of 'events' is json"):
        sql_ddl.create_table_sql("events", columns, "redshift", distkey="payload")
    with pytest.raises(ValueError, match="SORTKEY column 'payload' of 'events' is json"):
        sql_ddl.create_table_sql("events", columns, "duckdb", sortkey=("at", "payload"))
    with pytest.raises(ValueError, match="not a column"):
        sql_ddl.create_table_sql("events", columns, "redshift", sortkey=("missing",))


def test_json_is_staged_as_text_on_redshift_and_stored_as_super():
    dataset = Dataset(**EVENTS, merge_key=("id",))
    assert '"payload" SUPER' in sql_ddl.dataset_table_sql(dataset, "events", "redshift")
    assert '"payload" VARCHAR(65535)' in sql_ddl.staging_table_sql(dataset, "events", "redshift")
    assert '"payload" VARCHAR,' in sql_ddl.staging_table_sql(dataset, "events", "duckdb") + ","


def batch_of(uri_key: str, status: str = "loaded") -> LoadBatch:
    source = FileVersion("bucket", uri_key, "etag", 1, datetime(2026, 1, 1, tzinfo=timezone.utc))
    parts = {"orders": "s3://bucket/lake/x.parquet"} if status == "loaded" else {}
    return LoadBatch(ORDERS, "2026-01-01", "run", (BatchFile(source, parts, status=status),))


def test_a_source_uri_longer_than_the_lineage_column_is_refused_with_the_reason():
    fits = "k" * (SOURCE_FILE_BYTES - len("s3://bucket/"))
    check_batch(batch_of(fits))
    too_long = "é" * ((SOURCE_FILE_BYTES - len("s3://bucket/")) // 2 + 1)  # fits in characters, not in bytes
    assert len(f"s3://bucket/{too_long}") <= SOURCE_FILE_BYTES
    size = len(f"s3://bucket/{too_long}".encode())
    with pytest.raises(ValueError, match=f"URI is {size} bytes, but _source_file holds at most {SOURCE_FILE_BYTES}"):
        check_batch(batch_of(too_long))
    check_batch(batch_of(too_long, status="dead_letter"))  # no rows carry it: the ledger row can still be written


def test_the_batch_files_stage_holds_every_uri_the_lineage_column_holds():
    files_uri = next(c for c in sql_ddl.FILES_STAGE_COLUMNS if c.name == "uri")
    assert (files_uri.max_bytes or 0) >= SOURCE_FILE_BYTES
