"""Redshift COPY of canonical Parquet through a manifest, and the load-error lookup. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence

from order_pipeline.warehouse.sql_names import quote_ident, quote_literal, validate_iam_role


def copy_manifest(entries: Sequence[tuple[str, int]]) -> str:
    """A COPY manifest: each file once, mandatory, with the content_length Parquet COPY requires."""
    seen: set[str] = set()
    listed = []
    for url, length in entries:
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url!r}")
        if url in seen:
            continue
        seen.add(url)
        listed.append({"url": url, "mandatory": True, "meta": {"content_length": int(length)}})
    return json.dumps({"entries": listed}, indent=1)


def copy_sql(table: str, manifest_url: str, iam_role: str) -> str:
    """COPY by column position; COPY binds no parameters, so the literals are validated and quoted.

    FORMAT AS PARQUET admits only a handful of options; MANIFEST is one of them.
    """
    role = validate_iam_role(iam_role)
    role_sql = "default" if role == "default" else quote_literal(role)
    return (
        f"COPY {quote_ident(table)} FROM {quote_literal(manifest_url)} IAM_ROLE {role_sql} FORMAT AS PARQUET MANIFEST"
    )


def sys_load_errors_sql(files: int, limit: int = 10) -> str:
    """The load-error rows of this session's COPYs of `files` (bound parameters: their s3:// URLs) from
    SYS_LOAD_ERROR_DETAIL, which Serverless and provisioned clusters both have. Filtered by session and file, not
    query id: PG_LAST_COPY_ID() does not number queries as the SYS views do.

    Not every COPY failure has rows here (Redshift logs only some; Parquet errors mostly come with their
    context in the error's detail field instead), so callers report the error itself first."""
    if files < 1:
        raise ValueError("at least one file")
    listed = ", ".join("?" for _ in range(files))
    return (
        "SELECT TRIM(file_name), line_number, TRIM(column_name), TRIM(error_message) "
        f"FROM sys_load_error_detail WHERE session_id = PG_BACKEND_PID() AND TRIM(file_name) IN ({listed}) "
        f"ORDER BY start_time DESC LIMIT {int(limit)}"
    )


def stl_load_errors_sql(limit: int = 10) -> str:
    """The load-error rows of this session's last COPY (PG_LAST_COPY_ID) from STL_LOAD_ERRORS: only where
    SYS_LOAD_ERROR_DETAIL does not exist (older provisioned clusters); Serverless has no STL tables."""
    return (
        "SELECT TRIM(filename), line_number, TRIM(colname), TRIM(err_reason) "
        "FROM stl_load_errors WHERE session = PG_BACKEND_PID() AND query = PG_LAST_COPY_ID() "
        f"ORDER BY starttime DESC LIMIT {int(limit)}"
    )
