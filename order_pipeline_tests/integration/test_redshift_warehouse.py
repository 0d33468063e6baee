"""What only the Redshift backend does, against the local Redshift-compatible endpoint (PostgreSQL 15 behind the
wire adapter): COPY through real manifests, COPY's load errors, a dropped connection retried, JSON into SUPER.
The contract both backends share is in test_warehouse_contract.py."""

from __future__ import annotations

import json

import pytest

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.base import LoadError
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline_tests.support.warehouse_batches import (
    T0,
    Order,
    at,
    data_file,
    make_batch,
    orders_file,
)

ROLE = "arn:aws:iam::123456789012:role/local-loader"


@pytest.fixture
def warehouse(redshift_connect, s3_client, bucket):
    wh = RedshiftWarehouse(
        redshift_connect,
        s3_client,
        iam_role=ROLE,
        manifest_prefix=f"s3://{bucket}/_manifests/",
        serverless=False,
        base_delay=0.05,
    )
    wh.ensure_tables(ORDERS)
    yield wh
    wh.close()


def state(wh: RedshiftWarehouse) -> dict[str, tuple]:
    rows = wh.query('SELECT "order_id", "status", "updated_at" FROM "orders"')
    return {oid: (status, ts) for oid, status, ts in rows}


def item_count(wh: RedshiftWarehouse, order_id: str) -> int:
    return wh.query('SELECT COUNT(*) FROM "order_items" WHERE "order_id" = ?', [order_id])[0][0]


def snapshot(wh: RedshiftWarehouse) -> tuple[list, list, list]:
    return (
        wh.query('SELECT * FROM "orders" ORDER BY "order_id"'),
        wh.query('SELECT * FROM "order_items" ORDER BY "order_id", "line_number"'),
        wh.query('SELECT * FROM "file_ledger" ORDER BY "key"'),
    )


def test_load_update_stale_and_children_through_copy_and_merge(warehouse, s3_client, bucket):
    first = orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=3), Order("o-2", at(9), "shipped", 2))
    result = warehouse.load_batch(make_batch(ORDERS, first))
    assert (result.inserted, result.updated, result.stale) == (2, 0, 0)
    assert result.staged == {"orders": 2, "order_items": 5}

    newer = orders_file(
        s3_client,
        bucket,
        "b",
        Order("o-1", at(5), "delivered", 1),
        Order("o-2", at(1), "paid", 7),
        Order("o-3", at(1)),
    )
    result = warehouse.load_batch(make_batch(ORDERS, newer, run_id="run-2"))
    assert (result.inserted, result.updated, result.stale) == (1, 1, 1)
    assert result.child_rows == {"order_items": 2}
    rows = state(warehouse)
    assert rows["o-1"][0] == "delivered" and rows["o-2"] == ("shipped", at(9))
    assert (item_count(warehouse, "o-1"), item_count(warehouse, "o-2"), item_count(warehouse, "o-3")) == (
        1,
        2,
        1,
    )

    # The manifest that fed COPY lists each part once with its size.
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="_manifests/")["Contents"]
    manifests = [json.loads(s3_client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed]
    urls = [entry["url"] for m in manifests for entry in m["entries"]]
    assert newer.parts["orders"] in urls and len(urls) == len(set(urls)) == 4
    assert all(entry["meta"]["content_length"] > 0 for m in manifests for entry in m["entries"])


def test_copy_failure_rolls_back_and_reports_the_load_errors(warehouse, s3_client, bucket):
    warehouse.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "a", Order("o-1", at(0)))))
    before = snapshot(warehouse)
    broken = orders_file(s3_client, bucket, "b", Order("o-1", at(5), "shipped"))
    bucket_name, key = broken.parts["orders"][len("s3://") :].split("/", 1)
    s3_client.put_object(Bucket=bucket_name, Key=key, Body=b"not parquet at all")
    with pytest.raises(LoadError) as failure:
        warehouse.load_batch(make_batch(ORDERS, broken))
    message = str(failure.value)
    assert broken.source.uri in message and "COPY into staging of orders failed" in message
    # the cause comes from the error's DETAIL field (Redshift's shape), the part is named there by https URL
    assert (
        f"Spectrum Scan Error (SQLSTATE XX000): code: 15001; context: File 'https://s3.us-east-1.amazonaws.com/"
        f"{bucket_name}/{key}' is not a valid Parquet file" in message
    )
    assert f"load errors: {broken.parts['orders']}:" in message  # the STL_LOAD_ERRORS row of this COPY
    assert snapshot(warehouse) == before


def test_a_dropped_connection_is_retried_on_a_new_one(warehouse, redshift_endpoint, s3_client, bucket):
    pid = warehouse.query("SELECT pg_backend_pid()")[0][0]
    calls = []

    def kill_session_once() -> None:
        calls.append(1)
        if len(calls) == 1:
            admin = redshift_endpoint.connect()
            admin.cursor().execute(f"SELECT pg_terminate_backend({int(pid)})")
            admin.commit()
            admin.close()

    file = orders_file(s3_client, bucket, "a", Order("o-1", at(0), items=2))
    result = warehouse.load_batch(make_batch(ORDERS, file), after_stage=kill_session_once)
    assert len(calls) == 2
    assert (result.inserted, result.child_rows) == (1, {"order_items": 2})
    assert warehouse.query('SELECT COUNT(*) FROM "file_ledger"') == [(1,)]


PROFILES = Dataset(
    name="profiles",
    merge_key=("profile_id",),
    version_column="version",
    event_time_column="seen_at",
    columns=(
        Column("profile_id", "string", nullable=False, max_bytes=16),
        Column("version", "int64", nullable=False),
        Column("seen_at", "timestamp", nullable=False),
        Column("attributes", "json"),
    ),
)


def profile(version: int, attributes: str | None) -> dict:
    return {"profile_id": "p1", "version": version, "seen_at": T0, "attributes": attributes}


def test_json_columns_reach_super_as_parsed_values(redshift_connect, s3_client, bucket):
    """Staged as text, JSON_PARSEd into SUPER by the MERGE, read back with Redshift's path syntax."""
    wh = RedshiftWarehouse(
        redshift_connect, s3_client, iam_role=ROLE, manifest_prefix=f"s3://{bucket}/_m/", serverless=False
    )
    wh.ensure_tables(PROFILES)
    first = '{"name": "Ann", "tags": ["vip", "eu"], "address": {"city": "Köln"}}'
    wh.load_batch(make_batch(PROFILES, data_file(s3_client, bucket, PROFILES, "a", {"profiles": [profile(1, first)]})))
    navigate = (
        'SELECT "p"."attributes"."name", "p"."attributes"."tags"[1], "p"."attributes"."address"."city" '
        'FROM "profiles" AS "p"'
    )
    assert wh.query(navigate) == [('"Ann"', '"eu"', '"Köln"')]
    second = '{"name": "Ann B.", "tags": []}'
    wh.load_batch(make_batch(PROFILES, data_file(s3_client, bucket, PROFILES, "b", {"profiles": [profile(2, second)]})))
    assert wh.query(navigate) == [('"Ann B."', None, None)]  # the update path parses too
    wh.close()
