"""COPY failures in Redshift's shape, and the JSON payload that tells `redshift_emulator.copy_rows` the outcome.

Redshift reports a failing Parquet COPY with a short message and the context in the DETAIL field, e.g. (from
redshift_connector errors quoted in aws/aws-sdk-pandas issues 529 and 107):
    {'C': 'XX000', 'M': 'Spectrum Scan Error', 'D': '\\n  -----------------------------------------------\\n
     error:  Spectrum Scan Error\\n  code:      15001\\n  context:   The length of the data column display_name
     is longer than the length defined in the table. Table: 256, Data: 320, File name: https://...\\n
     query:     71875904\\n  location:  dory_util.cpp:945\\n  process:   fetchtask_thread [pid=19465]\\n ...'}
Files are named by their https URL there; the load-error tables name them by s3:// URL.
"""

from __future__ import annotations

import json
import os

S3_ERROR_CODE = 8001  # Redshift's code for S3 and manifest problems
SPECTRUM_SCAN_ERROR = "Spectrum Scan Error"
INCOMPATIBLE_SCHEMA = 15007  # column count or type mismatch between the table and a Parquet file
DATA_ERROR = 15001  # a value that does not fit (e.g. a string longer than the column)
_RULE = "  -----------------------------------------------\n"


def https_url(url: str) -> str:
    """How Spectrum names an s3:// object in its messages."""
    if not url.startswith("s3://"):
        return url
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return f"https://s3.{region}.amazonaws.com/{url[len('s3://') :]}"


class CopyFailure(Exception):
    """A COPY that fails as a whole (Redshift's COPY from Parquet has no MAXERROR)."""

    def __init__(
        self,
        message: str,
        filename: str,
        *,
        code: int = S3_ERROR_CODE,
        context: str = "",
        sqlstate: str = "XX000",
        colname: str = "",
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.filename, self.code, self.context = message, filename, code, context
        self.sqlstate, self.colname = sqlstate, colname
        self.reason = reason or context or message


def spectrum_failure(
    code: int, context: str, filename: str, *, colname: str = "", reason: str | None = None
) -> CopyFailure:
    return CopyFailure(SPECTRUM_SCAN_ERROR, filename, code=code, context=context, colname=colname, reason=reason)


def detail_block(error: str, code: int, context: str, query_id: int) -> str:
    return (
        f"\n{_RULE}  error:  {error}\n  code:      {code}\n  context:   {context}\n"
        f"  query:     {query_id}\n  location:  redshift_endpoint\n  process:   copy_emulator\n{_RULE}"
    )


def failure_payload(failure: CopyFailure, table: str, query_id: int) -> str:
    """What copy_rows raises: message and detail for the client, the rest for the load-error tables."""
    detail = detail_block(failure.message, failure.code, failure.context, query_id) if failure.code else ""
    error = {
        "sqlstate": failure.sqlstate,
        "message": failure.message,
        "detail": detail,
        "filename": failure.filename,
        "line_number": -1,
        "colname": failure.colname,
        "err_code": failure.code,
        "err_reason": failure.reason,
        "table": table,
        "query_id": query_id,
        "record": failure.code != 0,
    }
    return json.dumps({"error": error})


def success_payload(rows: int) -> str:
    return json.dumps({"loaded": rows})
