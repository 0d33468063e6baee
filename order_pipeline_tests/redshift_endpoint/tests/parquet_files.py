"""Parquet files and COPY manifests the endpoint's tests load."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

ROLE = "arn:aws:iam::123456789012:role/local"
SCHEMA = pa.schema(
    [("order_id", pa.string()), ("amount", pa.decimal128(12, 2)), ("updated_at", pa.timestamp("us", tz="UTC"))]
)
FIRST = [
    ("o-1", Decimal("10.25"), dt.datetime(2026, 11, 20, 8, 0, 0, 123456, tzinfo=dt.timezone.utc)),
    ("o-2", Decimal("-0.01"), dt.datetime(2026, 11, 20, 9, 30, 0, 1, tzinfo=dt.timezone.utc)),
]
SECOND = [("o-3", Decimal("9999999999.99"), dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc))]


def parquet_bytes(rows: list[tuple], schema: pa.Schema = SCHEMA) -> bytes:
    sink = io.BytesIO()
    pq.write_table(
        pa.Table.from_pylist([dict(zip(schema.names, row, strict=True)) for row in rows], schema=schema), sink
    )
    return sink.getvalue()


def put_manifest(s3_client, bucket: str, files: dict[str, bytes], missing: tuple[str, ...] = ()) -> str:
    """Upload the Parquet files and a manifest naming them (plus `missing` keys that are never uploaded)."""
    entries = []
    for key, body in files.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=body)
        entries.append({"url": f"s3://{bucket}/{key}", "mandatory": True, "meta": {"content_length": len(body)}})
    entries += [{"url": f"s3://{bucket}/{key}", "mandatory": True, "meta": {"content_length": 1}} for key in missing]
    key = f"manifests/{uuid.uuid4().hex}.manifest"
    s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps({"entries": entries}).encode())
    return f"s3://{bucket}/{key}"
