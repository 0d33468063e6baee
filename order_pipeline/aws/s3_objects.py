"""Thin helpers over a boto3 S3 client: paginated listing and object I/O."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from order_pipeline.landing import FileVersion, date_prefixes, partition_of


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"s3 URI without a bucket: {uri!r}")
    return bucket, key


def _version(bucket: str, item: dict[str, Any]) -> FileVersion:
    return FileVersion(bucket=bucket, key=item["Key"], etag=item["ETag"].strip('"'), size=int(item["Size"]),
                       last_modified=item["LastModified"])


def list_prefix(client: Any, bucket: str, prefix: str, *, delimiter: str | None = None) -> Iterator[FileVersion]:
    """Every object under `prefix` (past 1,000 keys: paginated). With a delimiter, only the top level."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    for page in client.get_paginator("list_objects_v2").paginate(**kwargs):
        for item in page.get("Contents", ()):
            if not item["Key"].endswith("/"):  # folder markers; hidden names are the lake step's to account for
                yield _version(bucket, item)


def list_landing_day(client: Any, bucket: str, landing_root: str, day: date) -> list[FileVersion]:
    """The landing files of one partition date: both dated layouts, plus undated top-level files of that date."""
    return [version for version in list_landing_window(client, bucket, landing_root, [day])
            if partition_of(version.key, version.last_modified) == day.isoformat()]


def download(client: Any, uri: str, path: Path) -> None:
    bucket, key = parse_s3_uri(uri)
    client.download_file(bucket, key, str(path))


def upload(client: Any, path: Path, bucket: str, key: str, content_type: str | None = None) -> str:
    extra = {"ContentType": content_type} if content_type else None
    client.upload_file(str(path), bucket, key, ExtraArgs=extra)
    return f"s3://{bucket}/{key}"


def put_bytes(client: Any, bucket: str, key: str, body: bytes, content_type: str | None = None) -> str:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
    if content_type:
        kwargs["ContentType"] = content_type
    client.put_object(**kwargs)
    return f"s3://{bucket}/{key}"


def copy_object(client: Any, source: FileVersion, bucket: str, key: str) -> str:
    client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": source.bucket, "Key": source.key})
    return f"s3://{bucket}/{key}"


def exists(client: Any, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def list_landing_window(client: Any, bucket: str, landing_root: str, days: Iterable[date]) -> list[FileVersion]:
    """Landing files of a window of dates: two dated prefixes a day, plus one listing of undated top-level files.

    The cost follows the window, not the bucket's history: older date prefixes are never listed.
    """
    found: dict[str, FileVersion] = {}
    for day in days:
        for prefix in date_prefixes(landing_root, day):
            for version in list_prefix(client, bucket, prefix):
                found[version.key] = version
    for version in list_prefix(client, bucket, landing_root, delimiter="/"):
        found.setdefault(version.key, version)
    return sorted(found.values(), key=lambda v: (v.last_modified, v.key))
