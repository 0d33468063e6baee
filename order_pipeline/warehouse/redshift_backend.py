"""The Redshift warehouse: COPY canonical Parquet via a manifest into temp staging, then the shared upsert."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import redshift_connector

from order_pipeline.aws.s3_objects import parse_s3_uri
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse import ledger_lookup, sql_ddl, sql_load
from order_pipeline.warehouse.base import LEDGER_TABLE, LoadBatch, LoadError, LoadResult, Warehouse
from order_pipeline.warehouse.sql_batch import check_batch, files_stage_rows, flat, ledger_params, part_uris
from order_pipeline.warehouse.sql_copy import copy_manifest, copy_sql, load_errors_sql
from order_pipeline.warehouse.sql_ddl import LEDGER_COLUMNS
from order_pipeline.warehouse.sql_names import FILES_STAGE, stage_name, validate_iam_role
from order_pipeline.warehouse.sql_upsert import upsert_staged

_FILES_PER_INSERT = 200
# Connection-level SQLSTATE classes/codes: the session is gone, the work can be redone on a new one.
_DROPPED_STATES = ("08", "57P01", "57P02", "57P03")
_DROPPED_MESSAGES = ("communication error", "brokenpipe", "connection is closed", "connection time out")


def _sqlstate(exc: BaseException) -> tuple[str, str]:
    """(SQLSTATE, message) of a server error; redshift_connector passes the ErrorResponse fields as a dict."""
    fields = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return str(fields.get("C", "")), str(fields.get("M", exc))


def describe(exc: BaseException) -> str:
    """A server error as `message (SQLSTATE xxx)`, anything else as `Type: text`."""
    state, message = _sqlstate(exc)
    return f"{message} (SQLSTATE {state})" if state else f"{type(exc).__name__}: {exc}"


def is_serialization_conflict(exc: BaseException) -> bool:
    """Redshift error 1023 (serializable isolation violation), or PostgreSQL's SQLSTATE 40001."""
    state, message = _sqlstate(exc)
    return state == "40001" or "serializable isolation violation" in message.lower()


def is_dropped_connection(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, (redshift_connector.InterfaceError, redshift_connector.OperationalError)):
        text = str(exc).lower()
        return any(m in text for m in _DROPPED_MESSAGES)
    state, _ = _sqlstate(exc)
    return bool(state) and state.startswith(_DROPPED_STATES)


def is_retryable(exc: BaseException) -> bool:
    """Conflicts and dropped connections are retried; bad data and bad SQL never are."""
    return is_serialization_conflict(exc) or is_dropped_connection(exc)


class _CopyFailed(Exception):
    def __init__(self, table: str, cause: BaseException) -> None:
        super().__init__(f"COPY into staging of {table} failed: {describe(cause)}")
        self.cause = cause


class RedshiftWarehouse(Warehouse):
    """Redshift through `connect()` (a redshift_connector connection factory), S3 through `s3_client`.

    The connection is opened lazily and re-opened after it drops. Every statement binds values with
    `?` (the cursor runs in qmark paramstyle, as DuckDB does) except COPY, whose literals are quoted.
    """

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

    # -- Warehouse --------------------------------------------------------------------------------

    def ensure_tables(self, dataset: Dataset) -> None:
        wanted = [
            (t, dataset.table_columns(t), sql_ddl.dataset_table_sql(dataset, t, "redshift"))
            for t in dataset.table_names
        ]
        wanted.append((LEDGER_TABLE, LEDGER_COLUMNS, sql_ddl.ledger_table_sql("redshift")))

        def work() -> None:
            cursor = self._cursor()
            for table, columns, ddl in wanted:
                cursor.execute(ddl)
                cursor.execute(sql_ddl.existing_columns_sql(), [table])
                existing = {row[0] for row in cursor.fetchall()}
                for column in columns:
                    if column.name not in existing:
                        cursor.execute(sql_ddl.add_column_sql(table, column, "redshift"))

        self._with_retries(work)

    def rebuild_table(self, table: str, select_sql: str) -> int:
        *replace, count = sql_ddl.rebuild_table_sql(table, select_sql)

        def work() -> int:
            cursor = self._cursor()
            for statement in replace:
                cursor.execute(statement)
            cursor.execute(count)
            return int(cursor.fetchone()[0])

        return self._with_retries(work)

    def loaded_versions(self, dataset: Dataset, files: Sequence[FileVersion]) -> set[tuple[str, str]]:
        return ledger_lookup.loaded_versions(self.query, dataset, files)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        def work() -> list[tuple[Any, ...]]:
            cursor = self._cursor()
            cursor.execute(sql, list(params) if params else None)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

        return self._with_retries(work)

    def load_batch(self, batch: LoadBatch, *, after_stage: Callable[[], None] | None = None) -> LoadResult:
        check_batch(batch)
        started = time.perf_counter()
        try:
            manifests = self._write_manifests(batch)
        except Exception as exc:
            raise LoadError(batch, f"cannot write COPY manifests: {exc}") from exc
        try:
            staged, counts = self._with_retries(lambda: self._load_once(batch, manifests, after_stage))
        except _CopyFailed as exc:
            raise LoadError(batch, f"{exc}; load errors: {self._load_errors()}") from exc.cause
        except Exception as exc:
            raise LoadError(batch, describe(exc)) from exc
        return LoadResult(
            files=len(batch.files),
            staged=staged,
            inserted=counts.inserted,
            updated=counts.updated,
            stale=counts.stale,
            child_rows=counts.child_rows,
            seconds=time.perf_counter() - started,
        )

    def close(self) -> None:
        self._discard()

    # -- load steps -------------------------------------------------------------------------------

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
                entries.append((uri, self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"]))
            key = f"{folder}{table}.manifest"
            self._s3.put_object(
                Bucket=self._manifest_bucket,
                Key=key,
                Body=copy_manifest(entries).encode(),
                ContentType="application/json",
            )
            manifests[table] = f"s3://{self._manifest_bucket}/{key}"
        return manifests

    def _load_once(
        self, batch: LoadBatch, manifests: dict[str, str], after_stage: Callable[[], None] | None
    ) -> tuple[dict[str, int], Any]:
        dataset = batch.dataset
        cursor = self._cursor()

        def execute(sql: str, params: Sequence[Any]) -> None:
            cursor.execute(sql, list(params) if params else None)

        def scalar(sql: str, params: Sequence[Any]) -> int:
            execute(sql, params)
            row = cursor.fetchone()
            return int(row[0]) if row else 0

        staged = {}
        for table in dataset.table_names:
            execute(sql_ddl.staging_table_sql(dataset, table, "redshift"), ())
            if table in manifests:
                try:
                    execute(copy_sql(stage_name(table), manifests[table], self._iam_role), ())
                except Exception as exc:
                    if is_retryable(exc):
                        raise
                    raise _CopyFailed(table, exc) from exc
            staged[table] = scalar(sql_load.count_sql(stage_name(table)), ())
        execute(sql_ddl.files_stage_sql("redshift"), ())
        rows = files_stage_rows(batch)
        for start in range(0, len(rows), _FILES_PER_INSERT):
            chunk = rows[start : start + _FILES_PER_INSERT]
            execute(sql_load.insert_files_sql(len(chunk)), flat(chunk))
        if after_stage is not None:
            after_stage()
        counts = upsert_staged(dataset, execute, scalar, "redshift")
        execute(sql_load.ledger_insert_sql(), ledger_params(batch, datetime.now(timezone.utc)))
        for name in (*(stage_name(t) for t in dataset.table_names), FILES_STAGE):
            execute(sql_ddl.drop_temp_sql(name), ())
        return staged, counts

    def _load_errors(self) -> str:
        """The first rows of the load-error view, after the rollback; never masks the COPY error."""
        try:
            cursor = self._cursor()
            cursor.execute(load_errors_sql(self._serverless))
            rows = cursor.fetchall()
            self._conn.commit()  # type: ignore[union-attr]
        except Exception as exc:
            self._rollback()
            return f"(cannot read load errors: {describe(exc)})"
        if not rows:
            return "(none recorded)"
        return "; ".join(
            f"{(file or '').strip()} line {line} column {(column or '').strip()}: {(reason or '').strip()}"
            for file, line, column, reason in rows
        )
