"""COPY ... FROM 's3://...' FORMAT AS PARQUET, run at database speed inside the client's own transaction.

The adapter calls `run_copy` when the client executes a COPY. It checks the options (Parquet admits only a few),
lists the objects (copy_sources), checks each file's schema against the table by position (parquet_mapping),
then streams the rows through PostgreSQL's own `COPY ... FROM STDIN (FORMAT csv)` on the client's session,
record batch by record batch, checking string byte lengths on the way. All files load under one savepoint (or
one transaction when the client has none open): a failure in any file leaves nothing, as on Redshift. The
outcome goes back as the JSON payload of `redshift_emulator.copy_rows`, which reports it to the client
(`Load into table ... completed, N record(s) loaded successfully.`, or the error in Redshift's shape).

Not reproduced: CSV/JSON/AVRO/ORC and the text formats, encrypted objects, ACCEPTINVCHARS, NOLOAD.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, Protocol

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import BotoCoreError

from order_pipeline_tests.redshift_endpoint.copy_errors import (
    DATA_ERROR,
    CopyFailure,
    failure_payload,
    https_url,
    spectrum_failure,
    success_payload,
)
from order_pipeline_tests.redshift_endpoint.copy_sources import (
    S3Object,
    manifest_objects,
    prefix_objects,
    read_object,
)
from order_pipeline_tests.redshift_endpoint.injection import Result
from order_pipeline_tests.redshift_endpoint.parquet_mapping import (
    COLUMNS_QUERY,
    TargetColumn,
    check_lengths,
    check_schema,
    csv_rows,
    target_columns,
)
from order_pipeline_tests.redshift_endpoint.statement_rewrite import CopyStatement, parse_copy_options

# COPY parameters Redshift accepts with FORMAT AS PARQUET (copy-usage_notes-copy-from-columnar): everything
# else, e.g. REGION (the bucket must be in the cluster's region), MAXERROR or ACCEPTANYDATE, is refused.
PARQUET_OPTIONS = {
    "MANIFEST",
    "IAM_ROLE",
    "CREDENTIALS",
    "ACCESS_KEY_ID",
    "SECRET_ACCESS_KEY",
    "SESSION_TOKEN",
    "ACCEPTINVCHARS",
    "FILLRECORD",
    "STATUPDATE",
    "EXPLICIT_IDS",
    "SERIALIZETOJSON",
}
_SAVEPOINT = "redshift_emulator_copy"
_BATCH_ROWS = 65536


class CopySession(Protocol):
    """What run_copy needs from the client's session (wire_adapter.ClientSession)."""

    tx_status: str

    def inject_query(self, sql: str) -> Result: ...

    def inject_copy(self, sql: str, chunks: Iterator[bytes]) -> Result: ...


def _literal(text: str) -> str:
    tag = "$rs$"
    while tag in text:
        tag = f"$rs{len(tag)}$"
    return f"{tag}{text}{tag}"


def _columns(session: CopySession, statement: CopyStatement) -> list[TargetColumn]:
    found = session.inject_query(COLUMNS_QUERY.format(table=_literal(statement.table)))
    if not found.ok or not found.rows:
        raise CopyFailure(
            f'relation "{statement.table.strip(chr(34))}" does not exist', statement.source, code=0, sqlstate="42P01"
        )
    columns = target_columns(found.rows)
    if statement.columns is None:
        return columns
    by_name = {column.name: column for column in columns}
    missing = [name for name in statement.columns if name not in by_name]
    if missing:
        raise CopyFailure(
            f'column "{missing[0]}" of relation "{statement.table}" does not exist',
            statement.source,
            code=0,
            sqlstate="42703",
        )
    return [by_name[name] for name in statement.columns]


def _batches(obj: S3Object, body: bytes, columns: list[TargetColumn]) -> Iterator[bytes]:
    parquet = pq.ParquetFile(io.BytesIO(body))
    for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
        check_lengths(obj.url, batch, columns)
        yield csv_rows(batch, columns)


def _open_parquet(obj: S3Object, body: bytes) -> pa.Schema:
    try:
        return pq.read_schema(io.BytesIO(body))
    except (pa.ArrowException, OSError) as error:
        raise spectrum_failure(
            DATA_ERROR, f"File '{https_url(obj.url)}' is not a valid Parquet file: {error}", obj.url
        ) from error


def _postgres_failure(obj: S3Object, error: dict[str, str]) -> CopyFailure:
    """A row PostgreSQL refused during the load (the checks above catch the usual ones first)."""
    context = f"{error.get('M', '')} ({error.get('W', '')}), File name: {https_url(obj.url)}"
    return spectrum_failure(DATA_ERROR, context, obj.url, reason=error.get("M", ""))


def _load(
    session: CopySession, statement: CopyStatement, columns: list[TargetColumn], objects: list[tuple[S3Object, bytes]]
) -> int:
    names = ", ".join('"' + c.name.replace('"', '""') + '"' for c in columns)
    copy_sql = f"COPY {statement.table} ({names}) FROM STDIN WITH (FORMAT csv)"
    rows = 0
    for obj, body in objects:
        result = session.inject_copy(copy_sql, _batches(obj, body, columns))
        if not result.ok:
            raise _postgres_failure(obj, result.error or {})
        rows += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
    return rows


def _in_block(session: CopySession, work: Any) -> int:
    """Run `work` so that a failure in any file leaves nothing behind."""
    own_transaction = session.tx_status == "I"
    session.inject_query("BEGIN" if own_transaction else f"SAVEPOINT {_SAVEPOINT}")
    try:
        rows = work()
    except BaseException:
        session.inject_query("ROLLBACK" if own_transaction else f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        if not own_transaction:
            session.inject_query(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        raise
    session.inject_query("COMMIT" if own_transaction else f"RELEASE SAVEPOINT {_SAVEPOINT}")
    return rows


def run_copy(statement: CopyStatement, session: CopySession, query_id: int) -> str:
    """Load the COPY's files into its table on the client's session; the JSON payload for copy_rows."""
    if session.tx_status == "E":
        return success_payload(0)  # the transaction is aborted: copy_rows itself will fail with 25P02
    try:
        options = parse_copy_options(statement.options)
        if options.format != "PARQUET":
            raise CopyFailure(
                f"The local Redshift endpoint only loads FORMAT AS PARQUET (got "
                f"{options.format or 'the default text format'})",
                statement.source,
                code=0,
                sqlstate="0A000",
            )
        refused = [word for word in options.keywords if word not in PARQUET_OPTIONS]
        if refused:
            raise CopyFailure(
                f"{refused[0]} argument is not supported for PARQUET based COPY",
                statement.source,
                code=0,
                sqlstate="0A000",
            )
        columns = _columns(session, statement)
        s3 = boto3.client("s3")
        listed = (manifest_objects if options.manifest else prefix_objects)(s3, statement.source)
        objects = []
        for obj in listed:
            body = read_object(s3, obj)
            check_schema(obj.url, _open_parquet(obj, body), columns, options.serialize_to_json)
            objects.append((obj, body))
        rows = _in_block(session, lambda: _load(session, statement, columns, objects))
        return success_payload(rows)
    except CopyFailure as failure:
        return failure_payload(failure, statement.table, query_id)
    except BotoCoreError as error:  # no credentials, endpoint unreachable ...
        return failure_payload(CopyFailure(f"S3 request failed: {error}", statement.source), statement.table, query_id)
    except (ConnectionError, OSError):
        raise  # the session is gone: nothing to report to
    except Exception as error:  # noqa: BLE001 - the client must get an ErrorResponse, not a dropped socket
        return failure_payload(
            CopyFailure(f"Local Redshift endpoint failed to run COPY: {error!r}", statement.source),
            statement.table,
            query_id,
        )
