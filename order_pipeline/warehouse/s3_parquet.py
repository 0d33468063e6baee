"""Canonical Parquet parts fetched from S3 through a boto3 client to local files (DuckDB gets no httpfs), their
schemas checked against the canonical one before anything is staged."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.aws.local_copies import LocalCopies
from order_pipeline.aws.s3_objects import get_file, parse_s3_uri


class PartReadError(RuntimeError):
    """A Parquet part could not be fetched or does not fit the canonical schema."""


def _fits(found: pa.DataType, canonical: pa.DataType) -> bool:
    if found == canonical:
        return True
    try:
        pa.array([], found).cast(canonical)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False
    return True


def _local_copy(bucket: str, key: str, etag: str | None, path: Path) -> bool:
    """The lake step's local copy of the part (same ETag) put at `path`, when this machine has one."""
    copy = LocalCopies().find(bucket, key, etag)
    if copy is None:
        return False
    try:
        os.link(copy, path)
    except OSError:
        try:
            shutil.copyfile(copy, path)
        except OSError:
            return False
    return True


def fetch_part(s3_client: Any, uri: str, schema: pa.Schema, path: Path, etag: str | None = None) -> Path:
    """One part put at `path` (from the local copy of the ETag `etag` when there is one, else one GET), its schema
    checked: every canonical column, of a type that casts to it."""
    bucket, key = parse_s3_uri(uri)
    try:
        if not _local_copy(bucket, key, etag, path):
            get_file(s3_client, bucket, key, path)
        found = pq.read_schema(path)
    except Exception as exc:  # botocore and pyarrow raise many types; the caller needs the URI
        raise PartReadError(f"cannot read Parquet part {uri}: {exc}") from exc
    missing = [name for name in schema.names if name not in found.names]
    if missing:
        raise PartReadError(f"Parquet part {uri} lacks canonical columns {missing}")
    wrong = [
        f"{f.name} is {found.field(f.name).type}, expected {f.type}"
        for f in schema
        if not _fits(found.field(f.name).type, f.type)
    ]
    if wrong:
        raise PartReadError(f"Parquet part {uri} does not match the canonical schema: {'; '.join(wrong)}")
    return path


def fetch_parts(
    s3_client: Any,
    uris: Sequence[str],
    schema: pa.Schema,
    folder: Path,
    *,
    threads: int = 8,
    etags: Sequence[str | None] | None = None,
) -> list[Path]:
    """Every part downloaded into `folder`, in order. Memory stays flat whatever the partition's size: the rows are
    read by the warehouse straight from the files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{index:06d}.parquet" for index in range(len(uris))]
    # boto3 clients are thread-safe; fetching in parallel hides S3 latency for many small parts.
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(uris)))) as pool:
        return list(
            pool.map(
                lambda uri, path, etag: fetch_part(s3_client, uri, schema, path, etag),
                uris,
                paths,
                etags if etags is not None else [None] * len(uris),
            )
        )
