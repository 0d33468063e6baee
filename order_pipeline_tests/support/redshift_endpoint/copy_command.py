"""COPY ... FROM 's3://...' FORMAT AS PARQUET: read the objects from S3 and turn them into the JSON payload
that `redshift_emulator.copy_rows` inserts inside the client's own transaction.

Reproduced: MANIFEST files ({"entries": [{"url", "mandatory", "meta": {"content_length"}}]}; a missing
mandatory entry fails, a missing optional one is skipped, no file at all fails; Redshift requires
meta.content_length for columnar formats, so a missing or wrong one fails here too); without MANIFEST the
source is a key prefix and every object under it is loaded (none found fails with "The specified S3
prefix ... does not exist"); Parquet columns map to table columns by position, the column counts must match.
Not reproduced: CSV/JSON/AVRO/ORC and text formats, COPY options other than IAM_ROLE/CREDENTIALS/REGION/
MANIFEST/FORMAT/SERIALIZETOJSON, Parquet-to-column type checks beyond what PostgreSQL's casts reject,
MAXERROR, NOLOAD, encrypted objects, the exact Redshift error codes for S3 problems.
S3 is reached with boto3's default client, which honours AWS_ENDPOINT_URL (a local moto server in tests).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import BotoCoreError, ClientError

from order_pipeline_tests.support.redshift_endpoint.statement_rewrite import CopyStatement, parse_copy_options

S3_ERROR_CODE = 8001  # stands in for Redshift's S3/manifest error codes, which this emulator does not copy


class CopyFailure(Exception):
    def __init__(self, message: str, filename: str, err_code: int = S3_ERROR_CODE) -> None:
        super().__init__(message)
        self.filename = filename
        self.err_code = err_code


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


def _s3_message(error: ClientError) -> str:
    info = error.response.get("Error", {})
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"S3ServiceException:{info.get('Message', '')},Status {status},Error {info.get('Code', '')}"


def _manifest_objects(s3: Any, url: str) -> list[S3Object]:
    bucket, key = split_url(url)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        raise CopyFailure(f"Problem reading manifest file - {_s3_message(error)} ({url})", url) from error
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
                    f"The specified S3 prefix '{entry_key}' does not exist ({_s3_message(error)})",
                    entry_url) from error
            continue  # optional entries may be missing, as on Redshift
        expected = (entry.get("meta") or {}).get("content_length")
        if expected is None:
            raise CopyFailure(f"Manifest file entry '{entry_url}' has no meta.content_length, which "
                              "COPY FORMAT AS PARQUET requires", entry_url)
        if int(expected) != size:
            raise CopyFailure(f"Manifest file entry '{entry_url}': content_length {expected} does not "
                              f"match the object size {size}", entry_url)
        objects.append(S3Object(entry_url, entry_bucket, entry_key, int(expected)))
    if not objects:
        raise CopyFailure(f"The manifest '{url}' names no existing file: nothing to load", url)
    return objects


def _prefix_objects(s3: Any, url: str) -> list[S3Object]:
    bucket, prefix = split_url(url)
    objects: list[S3Object] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects += [S3Object(f"s3://{bucket}/{o['Key']}", bucket, o["Key"], None)
                        for o in page.get("Contents", [])]
    except ClientError as error:
        raise CopyFailure(f"{_s3_message(error)} ({url})", url) from error
    if not objects:
        raise CopyFailure(f"The specified S3 prefix '{prefix}' does not exist ({url})", url)
    return objects


def json_value(value: Any) -> Any:
    """A Parquet cell as JSON whose text PostgreSQL's input functions read back exactly."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()} seconds"
    return value


def _rows(table: pa.Table) -> Iterator[list[Any]]:
    columns = [column.to_pylist() for column in table.columns]
    for row in zip(*columns, strict=True):
        yield [json_value(v) for v in row]


def _read_parquet(s3: Any, obj: S3Object) -> dict[str, Any]:
    try:
        body = s3.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read()
    except ClientError as error:
        raise CopyFailure(f"{_s3_message(error)} ({obj.url})", obj.url) from error
    try:
        table = pq.read_table(io.BytesIO(body))
    except (pa.ArrowException, OSError) as error:
        raise CopyFailure(f"Spectrum Scan Error: File '{obj.url}' is not a valid Parquet file: {error}",
                          obj.url, 15001) from error
    return {"url": obj.url, "columns": table.num_columns, "rows": list(_rows(table))}


def build_payload(statement: CopyStatement) -> str:
    """The JSON payload for redshift_emulator.copy_rows: the rows of every file, or the failure."""
    try:
        options = parse_copy_options(statement.options)
        if options.unsupported:
            raise CopyFailure("COPY option(s) not supported by the local Redshift emulator: "
                              + ", ".join(options.unsupported), statement.source)
        if options.format != "PARQUET":
            raise CopyFailure(f"The local Redshift emulator only loads FORMAT AS PARQUET (got "
                              f"{options.format or 'the default text format'})", statement.source)
        s3 = boto3.client("s3")
        listed = _manifest_objects if options.manifest else _prefix_objects
        files = [_read_parquet(s3, obj) for obj in listed(s3, statement.source)]
        return json.dumps({"files": files}, separators=(",", ":"), allow_nan=False, default=str)
    except CopyFailure as failure:
        return _failure_payload(statement, str(failure), failure.filename, failure.err_code)
    except BotoCoreError as error:  # no credentials, endpoint unreachable ...
        return _failure_payload(statement, f"S3 request failed: {error}", statement.source, S3_ERROR_CODE)
    except Exception as error:  # noqa: BLE001 - the client must get an ErrorResponse, not a dropped socket
        return _failure_payload(statement, f"Local Redshift emulator failed to run COPY: {error!r}",
                                statement.source, S3_ERROR_CODE)


def _failure_payload(statement: CopyStatement, message: str, filename: str, err_code: int) -> str:
    error = {"message": message, "detail": "", "filename": filename, "line_number": 0, "colname": "",
             "err_code": err_code, "err_reason": message, "table": statement.table}
    return json.dumps({"error": error})


def columns_literal(columns: tuple[str, ...] | None) -> str | None:
    """A PostgreSQL text[] literal for the COPY column list (None: all columns, in table order)."""
    if columns is None:
        return None
    return "{" + ",".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in columns) + "}"


__all__ = ["CopyFailure", "build_payload", "columns_literal", "json_value"]
