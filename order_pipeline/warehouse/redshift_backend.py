"""The Redshift warehouse: COPY canonical Parquet via a manifest into temp staging; the load sequence is the SQL
warehouse base's, run in Redshift's transactions (retried on conflicts and dropped connections)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redshift_connector

from order_pipeline.aws.s3_objects import parse_s3_uri
from order_pipeline.datasets.declaration import Dataset, DerivedTable
from order_pipeline.warehouse import sql_derived, sql_load
from order_pipeline.warehouse.base import LEDGER_TABLE, ClientTimeout, LoadBatch, LoadError
from order_pipeline.warehouse.redshift_errors import (
    describe,
    is_dropped_connection,
    is_retryable,
    is_serialization_conflict,
    server_fields,
)
from order_pipeline.warehouse.sql_batch import part_uris
from order_pipeline.warehouse.sql_copy import copy_manifest, copy_sql, stl_load_errors_sql, sys_load_errors_sql
from order_pipeline.warehouse.sql_names import stage_name, validate_iam_role
from order_pipeline.warehouse.sql_warehouse import SqlWarehouse, UpsertCounts

T = TypeVar("T")
__all__ = ["RedshiftWarehouse", "describe", "is_dropped_connection", "is_retryable", "is_serialization_conflict"]


class _CopyFailed(Exception):
    def __init__(self, table: str, cause: BaseException) -> None:
        super().__init__(f"COPY into staging of {table} failed: {describe(cause)}")
        self.table = table
        self.cause = cause


class RedshiftWarehouse(SqlWarehouse):
    """Redshift through `connect()` (a redshift_connector connection factory), S3 through `s3_client`.

    The connection is opened lazily and re-opened after it drops. Every statement binds values with
    `?` (the cursor runs in qmark paramstyle, as DuckDB does) except COPY, whose literals are quoted.
    """

    dialect = "redshift"

    def __init__(
        self,
        connect: Callable[[], redshift_connector.Connection],
        s3_client: Any,
        *,
        iam_role: str,
        manifest_prefix: str,
        serverless: bool,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        client_timeout: int | None = None,
    ) -> None:
        bucket, _ = parse_s3_uri(manifest_prefix)
        self._connect = connect
        self._s3 = s3_client
        self._iam_role = validate_iam_role(iam_role)
        self._manifest_bucket = bucket
        self._manifest_prefix = manifest_prefix[len(f"s3://{bucket}/") :].rstrip("/") + "/"
        self._serverless = serverless
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._client_timeout = client_timeout
        self._conn: redshift_connector.Connection | None = None

    # -- connection and retries -------------------------------------------------------------------

    def _cursor(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        cursor = self._conn.cursor()
        cursor.paramstyle = "qmark"
        return cursor

    def _rollback(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.rollback()
        except Exception:  # the connection may be the thing that broke: drop it, reconnect next time
            self._discard()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a dead socket may raise; it is gone either way
                pass

    def _with_retries(self, work: Callable[[], Any]) -> Any:
        """Run `work` in a transaction; roll back on error; retry conflicts and dropped connections
        with exponential backoff and full jitter. Redoing a load is safe even if a lost COMMIT did land:
        the ledger insert is guarded and the MERGE of the same versions is idempotent."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                result = work()
                self._conn.commit()  # type: ignore[union-attr]
                return result
            except Exception as exc:
                self._rollback()
                if is_dropped_connection(exc):
                    self._discard()
                if attempt == self._max_attempts or not is_retryable(exc):
                    raise
                time.sleep(random.uniform(0, self._base_delay * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")

    # -- what the SQL warehouse base needs ------------------------------------------------------

    def _transaction(self, work: Callable[[], T]) -> T:
        return self._with_retries(work)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._run(self._cursor(), sql, params)

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._cursor()
        self._run(cursor, sql, params)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    def _run(self, cursor: Any, sql: str, params: Sequence[Any]) -> None:
        try:
            cursor.execute(sql, list(params) if params else None)
        except TimeoutError as exc:
            if not self._cut_by_client_timeout(exc):
                raise
            self._discard()  # the socket is mid-reply: nothing more can be read or sent on it
            raise ClientTimeout(client_timeout_message(self._client_timeout, sql)) from exc

    def _cut_by_client_timeout(self, exc: TimeoutError) -> bool:
        """The socket's own timeout (no errno), not a dead peer found by TCP keepalive (errno ETIMEDOUT)."""
        return self._client_timeout is not None and exc.errno is None

    def _prepare(self, batch: LoadBatch) -> dict[str, str]:
        try:
            return self._write_manifests(batch)
        except Exception as exc:
            raise LoadError(batch, f"cannot write COPY manifests: {exc}") from exc

    def _stage_rows(self, batch: LoadBatch, table: str, manifests: dict[str, str]) -> int:
        if table in manifests:
            try:
                self._execute(copy_sql(stage_name(table), manifests[table], self._iam_role))
            except Exception as exc:
                if is_retryable(exc):
                    raise
                raise _CopyFailed(table, exc) from exc
        return self._scalar(sql_load.count_sql(stage_name(table)))

    def _run_load(
        self,
        stage: Callable[[], dict[str, int]],
        merge: Callable[[], UpsertCounts],
        after_stage: Callable[[], None] | None,
    ) -> tuple[dict[str, int], UpsertCounts]:
        """Stage (committed: temp tables are private to the session), then the merge transaction, which
        LOCKs the target, child and ledger tables before anything else. Under SNAPSHOT isolation (the default
        of new clusters and workgroups) two loads of the same new key could otherwise both insert it; under
        SERIALIZABLE the lock turns conflicts between loads into waits. COPY stays outside the lock, so
        readers of the tables wait only for the merge, not for S3."""

        def once() -> tuple[dict[str, int], UpsertCounts]:
            staged = stage()
            self._conn.commit()  # type: ignore[union-attr]
            if after_stage is not None:
                after_stage()
            return staged, merge()

        return self._with_retries(once)

    def _is_duplicate_column(self, error: Exception) -> bool:
        return server_fields(error).get("C") == "42701"  # duplicate_column: `column "x" of relation "t" already exists`

    def _lock(self, dataset: Dataset) -> None:
        self._execute(sql_load.lock_tables_sql(dataset))

    def _lock_derived(self, dataset: Dataset, derived: DerivedTable) -> None:
        self._execute(sql_derived.lock_sql(dataset, derived, LEDGER_TABLE))

    def _load_failure(self, batch: LoadBatch, error: Exception) -> LoadError:
        if isinstance(error, _CopyFailed):
            files = sorted(set(part_uris(batch, error.table)))
            return LoadError(batch, f"{error}; load errors: {self._load_errors(files)}")
        return LoadError(batch, describe(error))

    def close(self) -> None:
        self._discard()

    # -- COPY -------------------------------------------------------------------------------------

    def _read_load_errors(self, sql: str, params: Sequence[str]) -> list[tuple[Any, ...]]:
        try:
            rows = self._fetch(sql, params)
            self._conn.commit()  # type: ignore[union-attr]
        except Exception:
            self._rollback()
            raise
        return rows

    def _write_manifests(self, batch: LoadBatch) -> dict[str, str]:
        """One manifest per table that has parts; content_length from HEAD (Parquet COPY needs it)."""
        folder = f"{self._manifest_prefix}{batch.dataset.name}/{batch.partition}/{uuid.uuid4().hex}/"
        manifests = {}
        for table in batch.dataset.table_names:
            uris = part_uris(batch, table)
            if not uris:
                continue
            entries = []
            for uri in dict.fromkeys(uris):
                bucket, key = parse_s3_uri(uri)
                try:
                    entries.append((uri, self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"]))
                except Exception as exc:  # name the part: "Not Found" alone does not say which
                    raise RuntimeError(f"part {uri} of table {table}: {exc}") from exc
            key = f"{folder}{table}.manifest"
            self._s3.put_object(
                Bucket=self._manifest_bucket,
                Key=key,
                Body=copy_manifest(entries).encode(),
                ContentType="application/json",
            )
            manifests[table] = f"s3://{self._manifest_bucket}/{key}"
        return manifests

    def _load_errors(self, files: Sequence[str]) -> str:
        """The load-error rows of the failed COPY of `files`, after the rollback; never masks the COPY error.
        SYS_LOAD_ERROR_DETAIL wherever it exists (Serverless has only it; `serverless` is not known for
        password auth to a workgroup), STL_LOAD_ERRORS only where it does not."""
        try:
            rows = self._read_load_errors(sys_load_errors_sql(len(files)), files) if files else []
        except Exception as exc:
            if server_fields(exc).get("C") != "42P01":  # undefined_table: no SYS view here, try STL
                return f"(cannot read load errors: {describe(exc)})"
            try:
                rows = self._read_load_errors(stl_load_errors_sql(), ())
            except Exception as stl_exc:
                return f"(cannot read load errors: {describe(stl_exc)})"
        if not rows:
            return "(none recorded)"
        return "; ".join(
            f"{(file or '').strip()}{f' line {line}' if line is not None and line >= 0 else ''}"
            f"{f' column {column.strip()}' if (column or '').strip() else ''}: {(reason or '').strip()}"
            for file, line, column, reason in rows
        )


def client_timeout_message(seconds: int | None, sql: str) -> str:
    statement = " ".join(sql.split())[:120]
    return (
        f"Redshift did not answer within the client socket timeout (ORDER_PIPELINE_REDSHIFT_TIMEOUT={seconds} s) "
        f"while running: {statement}. The cluster may still be running that statement and holding its locks, so "
        "it is not retried. Unset ORDER_PIPELINE_REDSHIFT_TIMEOUT (the default: no client timeout) and bound "
        "statements on the server with ORDER_PIPELINE_REDSHIFT_STATEMENT_TIMEOUT_SECONDS instead"
    )
