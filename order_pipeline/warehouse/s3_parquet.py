"""Canonical Parquet parts read from S3 through a boto3 client into pyarrow (DuckDB gets no httpfs)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.aws.s3_objects import parse_s3_uri


class PartReadError(RuntimeError):
    """A Parquet part could not be fetched or does not fit the canonical schema."""


def read_part(s3_client: Any, uri: str, schema: pa.Schema) -> pa.Table:
    """One part, with its columns selected by name and cast to the canonical schema."""
    bucket, key = parse_s3_uri(uri)
    try:
        body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
        table = pq.read_table(io.BytesIO(body))
    except Exception as exc:  # botocore and pyarrow raise many types; the caller needs the URI
        raise PartReadError(f"cannot read Parquet part {uri}: {exc}") from exc
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise PartReadError(f"Parquet part {uri} lacks canonical columns {missing}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise PartReadError(f"Parquet part {uri} does not match the canonical schema: {exc}") from exc


def read_parts(s3_client: Any, uris: Sequence[str], schema: pa.Schema, *, threads: int = 8) -> pa.Table:
    """All parts concatenated in order (an empty table with `schema` when there are none)."""
    if not uris:
        return schema.empty_table()
    if len(uris) == 1:
        return read_part(s3_client, uris[0], schema)
    # boto3 clients are thread-safe; fetching in parallel hides S3 latency for many small parts.
    with ThreadPoolExecutor(max_workers=min(threads, len(uris))) as pool:
        tables = list(pool.map(lambda uri: read_part(s3_client, uri, schema), uris))
    return pa.concat_tables(tables)
