"""Parquet parts fetched for the embedded warehouse: schema checked per part, every error naming its part."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.warehouse.s3_parquet import PartReadError, fetch_parts

SCHEMA = pa.schema([("order_id", pa.string()), ("total", pa.decimal128(12, 2))])


def _put(s3_client, bucket: str, key: str, table: pa.Table) -> str:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3_client.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())
    return f"s3://{bucket}/{key}"


def test_parts_are_fetched_in_order_with_a_castable_type_accepted(s3_client, bucket, tmp_path: Path) -> None:
    uris = [
        _put(
            s3_client,
            bucket,
            f"lake/t/{i}.parquet",
            pa.table(
                {
                    "total": pa.array([i], pa.decimal128(12, 2)),
                    "order_id": pa.array([f"o{i}"], pa.large_string() if i == 1 else pa.string()),
                }
            ),
        )
        for i in range(3)
    ]
    paths = fetch_parts(s3_client, uris, SCHEMA, tmp_path / "parts")
    assert [pq.read_table(p).column("order_id").to_pylist() for p in paths] == [["o0"], ["o1"], ["o2"]]


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        (pa.table({"order_id": ["o1"]}), "lacks canonical columns ['total']"),
        (
            pa.table({"order_id": ["o1"], "total": pa.array([[1]], pa.list_(pa.int64()))}),
            "does not match the canonical schema: total is list<element: int64>, expected decimal128(12, 2)",
        ),
    ],
)
def test_a_part_that_does_not_fit_is_named_with_the_cause(s3_client, bucket, tmp_path: Path, table, reason) -> None:
    good = _put(
        s3_client,
        bucket,
        "lake/t/good.parquet",
        pa.table({"order_id": ["o0"], "total": pa.array([1], pa.decimal128(12, 2))}),
    )
    bad = _put(s3_client, bucket, "lake/t/bad.parquet", table)
    with pytest.raises(PartReadError) as raised:
        fetch_parts(s3_client, [good, bad], SCHEMA, tmp_path / "parts")
    assert bad in str(raised.value) and reason in str(raised.value)


def test_a_missing_part_is_named(s3_client, bucket, tmp_path: Path) -> None:
    with pytest.raises(PartReadError, match=f"cannot read Parquet part s3://{bucket}/lake/t/gone.parquet"):
        fetch_parts(s3_client, [f"s3://{bucket}/lake/t/gone.parquet"], SCHEMA, tmp_path / "parts")
