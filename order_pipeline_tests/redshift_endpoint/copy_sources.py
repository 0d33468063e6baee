"""Which S3 objects a COPY reads: the entries of a MANIFEST, or every object under a key prefix.

Reproduced: manifest entries {"url", "mandatory", "meta": {"content_length"}}; a missing mandatory entry fails,
a missing optional one is skipped, no file at all fails; Redshift requires meta.content_length for columnar
formats, so a missing or wrong one fails here too; without MANIFEST, no object under the prefix fails with
"The specified S3 prefix ... does not exist". S3 is reached with boto3's default client (AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from order_pipeline_tests.redshift_endpoint.copy_errors import CopyFailure


@dataclass(frozen=True)
class S3Object:
    url: str
    bucket: str
    key: str
    expected_size: int | None  # the manifest's meta.content_length, when loading through a manifest


def split_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise CopyFailure(f"Invalid S3 URL '{url}'", url)
    bucket, _, key = url[5:].partition("/")
    return bucket, key


def s3_message(error: ClientError) -> str:
    info = error.response.get("Error", {})
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"S3ServiceException:{info.get('Message', '')},Status {status},Error {info.get('Code', '')}"


def manifest_objects(s3: Any, url: str) -> list[S3Object]:
    bucket, key = split_url(url)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        raise CopyFailure(f"Problem reading manifest file - {s3_message(error)} ({url})", url) from error
    try:
        entries = json.loads(body)["entries"]
    except (ValueError, KeyError, TypeError) as error:
        raise CopyFailure(f"Manifest file is not in correct json format: {url}", url) from error
    objects: list[S3Object] = []
    for entry in entries:
        entry_url = entry.get("url", "")
        entry_bucket, entry_key = split_url(entry_url)
        try:
            size = int(s3.head_object(Bucket=entry_bucket, Key=entry_key)["ContentLength"])
        except ClientError as error:
            if entry.get("mandatory", False):
                raise CopyFailure(
                    f"Manifest file entry '{entry_url}' is mandatory but the file was not found: "
                    f"The specified S3 prefix '{entry_key}' does not exist ({s3_message(error)})",
                    entry_url,
                ) from error
            continue  # optional entries may be missing, as on Redshift
        expected = (entry.get("meta") or {}).get("content_length")
        if expected is None:
            raise CopyFailure(
                f"Manifest file entry '{entry_url}' has no meta.content_length, which COPY FORMAT AS PARQUET requires",
                entry_url,
            )
        if int(expected) != size:
            raise CopyFailure(
                f"Manifest file entry '{entry_url}': content_length {expected} does not match the object size {size}",
                entry_url,
            )
        objects.append(S3Object(entry_url, entry_bucket, entry_key, int(expected)))
    if not objects:
        raise CopyFailure(f"The manifest '{url}' names no existing file: nothing to load", url)
    return objects


def prefix_objects(s3: Any, url: str) -> list[S3Object]:
    bucket, prefix = split_url(url)
    objects: list[S3Object] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects += [S3Object(f"s3://{bucket}/{o['Key']}", bucket, o["Key"], None) for o in page.get("Contents", [])]
    except ClientError as error:
        raise CopyFailure(f"{s3_message(error)} ({url})", url) from error
    if not objects:
        raise CopyFailure(f"The specified S3 prefix '{prefix}' does not exist ({url})", url)
    return objects


def read_object(s3: Any, obj: S3Object) -> bytes:
    try:
        return s3.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read()
    except ClientError as error:
        raise CopyFailure(f"{s3_message(error)} ({obj.url})", obj.url) from error
