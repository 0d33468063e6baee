"""Thin helpers over a boto3 S3 client: paginated listing and object I/O."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from order_pipeline.landing.keys import FileVersion, is_folder_marker


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"s3 URI without a bucket: {uri!r}")
    return bucket, key


def version_of(bucket: str, item: dict[str, Any]) -> FileVersion:
    """A FileVersion from one `Contents` entry of a ListObjectsV2 page."""
    return FileVersion(
        bucket=bucket,
        key=item["Key"],
        etag=item["ETag"].strip('"'),
        size=int(item["Size"]),
        last_modified=item["LastModified"],
    )


def list_prefix(client: Any, bucket: str, prefix: str, *, delimiter: str | None = None) -> Iterator[FileVersion]:
    """Every object under `prefix` (past 1,000 keys: paginated). With a delimiter, only the top level."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    for page in client.get_paginator("list_objects_v2").paginate(**kwargs):
        for item in page.get("Contents", ()):
            if not is_folder_marker(item["Key"]):
                yield version_of(bucket, item)


SINGLE_GET_BYTES = 8 << 20  # boto3's multipart threshold: below it, its transfer manager makes one GET too


def download(client: Any, uri: str, path: Path, *, size: int | None = None) -> None:
    """The object at `uri` written to `path`. With a known `size` under SINGLE_GET_BYTES, one streamed GET: the
    transfer manager would first ask for the size (a HEAD request) and start a thread pool for one GET."""
    bucket, key = parse_s3_uri(uri)
    if size is None or size >= SINGLE_GET_BYTES:
        client.download_file(bucket, key, str(path))
        return
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        with open(path, "wb") as out:
            shutil.copyfileobj(body, out, 1 << 20)
    finally:
        body.close()


def upload(client: Any, path: Path, bucket: str, key: str, content_type: str | None = None) -> str:
    extra = {"ContentType": content_type} if content_type else None
    client.upload_file(str(path), bucket, key, ExtraArgs=extra)
    return f"s3://{bucket}/{key}"


def put_file(client: Any, path: Path, bucket: str, key: str, content_type: str | None = None) -> str | None:
    """A local file uploaded; below SINGLE_GET_BYTES in one PUT, whose ETag is returned (the transfer manager,
    used above it, returns none)."""
    if path.stat().st_size >= SINGLE_GET_BYTES:
        upload(client, path, bucket, key, content_type)
        return None
    kwargs: dict[str, Any] = {"ContentType": content_type} if content_type else {}
    with open(path, "rb") as body:
        return client.put_object(Bucket=bucket, Key=key, Body=body, **kwargs).get("ETag")


def get_file(client: Any, bucket: str, key: str, path: Path) -> None:
    """The object written to `path` with one streamed GET (no HEAD first, as the transfer manager sends)."""
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        with open(path, "wb") as out:
            shutil.copyfileobj(body, out, 1 << 20)
    finally:
        body.close()


def put_bytes(client: Any, bucket: str, key: str, body: bytes, content_type: str | None = None) -> str:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
    if content_type:
        kwargs["ContentType"] = content_type
    client.put_object(**kwargs)
    return f"s3://{bucket}/{key}"


def copy_object(client: Any, source: FileVersion, bucket: str, key: str) -> str:
    client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": source.bucket, "Key": source.key})
    return f"s3://{bucket}/{key}"
