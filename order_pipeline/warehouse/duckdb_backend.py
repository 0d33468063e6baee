"""The embedded warehouse: a DuckDB file, fed from canonical Parquet fetched with boto3 (no httpfs)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse import ledger_lookup, sql_ddl, sql_load
from order_pipeline.warehouse.base import LEDGER_TABLE, LoadBatch, LoadError, LoadResult, Warehouse, WarehouseBusy
from order_pipeline.warehouse.s3_parquet import read_parts
from order_pipeline.warehouse.sql_batch import check_batch, files_stage_rows, flat, ledger_params, part_uris
from order_pipeline.warehouse.sql_ddl import LEDGER_COLUMNS
from order_pipeline.warehouse.sql_names import FILES_STAGE, quote_ident, stage_name
from order_pipeline.warehouse.sql_upsert import upsert_staged

_ARROW_VIEW = "_arrow_stage"


def connect_waiting(path: str, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting while another process holds its lock: a run's load and a sensor's ledger read take
    turns instead of failing each other (DuckDB allows one process per file to write)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{path} is held by another process: {error}") from error
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


class DuckDBWarehouse(Warehouse):
    """One DuckDB file, one connection. A load is one transaction: a killed process leaves the file at
    the last commit (DuckDB writes a transaction to its WAL only when it commits)."""

    def __init__(self, path: str | Path, s3_client: Any, *, lock_wait_seconds: float = 120.0) -> None:
        self._path = str(path)
        self._s3 = s3_client
        self._con = connect_waiting(self._path, lock_wait_seconds)
        self._con.execute("SET TimeZone = 'UTC'")

    def ensure_tables(self, dataset: Dataset) -> None:
        wanted = [
            (t, dataset.table_columns(t), sql_ddl.dataset_table_sql(dataset, t, "duckdb"))
            for t in dataset.table_names
        ]
        wanted.append((LEDGER_TABLE, LEDGER_COLUMNS, sql_ddl.ledger_table_sql("duckdb")))
        self._con.begin()
        try:
            for table, columns, ddl in wanted:
                self._con.execute(ddl)
                existing = {
                    row[0] for row in self._con.execute(sql_ddl.existing_columns_sql(), [table]).fetchall()
                }
                for column in columns:
                    if column.name not in existing:
                        self._con.execute(sql_ddl.add_column_sql(table, column, "duckdb"))
            self._con.commit()
        except BaseException:
            self._con.rollback()
            raise

    def rebuild_table(self, table: str, select_sql: str) -> int:
        *replace, count = sql_ddl.rebuild_table_sql(table, select_sql)
        self._con.begin()
        try:
            for statement in replace:
                self._con.execute(statement)
            rows = int(self._con.execute(count).fetchone()[0])
            self._con.commit()
        except BaseException:
            self._con.rollback()
            raise
        return rows

    def loaded_versions(self, dataset: Dataset, files: Sequence[FileVersion]) -> set[tuple[str, str]]:
        return ledger_lookup.loaded_versions(self.query, dataset, files)

    def load_batch(self, batch: LoadBatch, *, after_stage: Callable[[], None] | None = None) -> LoadResult:
        check_batch(batch)
        started = time.perf_counter()
        dataset = batch.dataset
        try:
            # S3 reads happen before the transaction: a slow or failing fetch holds no lock.
            parts = {
                t: read_parts(self._s3, part_uris(batch, t), dataset.arrow_schema(t))
                for t in dataset.table_names
            }
        except Exception as exc:
            raise LoadError(batch, str(exc)) from exc
        con = self._con
        con.begin()
        try:
            staged = {table: self._stage(dataset, table, rows) for table, rows in parts.items()}
            con.execute(sql_ddl.files_stage_sql("duckdb"))
            file_rows = files_stage_rows(batch)
            con.execute(sql_load.insert_files_sql(len(file_rows)), flat(file_rows))
            if after_stage is not None:
                after_stage()
            counts = upsert_staged(dataset, self._execute, self._scalar)
            con.execute(sql_load.ledger_insert_sql(), ledger_params(batch, datetime.now(timezone.utc)))
            for name in (*(stage_name(t) for t in dataset.table_names), FILES_STAGE):
                con.execute(sql_ddl.drop_temp_sql(name))
            con.commit()
        except Exception as exc:
            con.rollback()
            raise LoadError(batch, f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            con.rollback()
            raise
        return LoadResult(
            files=len(batch.files),
            staged=staged,
            inserted=counts.inserted,
            updated=counts.updated,
            stale=counts.stale,
            child_rows=counts.child_rows,
            seconds=time.perf_counter() - started,
        )

    def _stage(self, dataset: Dataset, table: str, rows: pa.Table) -> int:
        self._con.execute(sql_ddl.staging_table_sql(dataset, table, "duckdb"))
        if rows.num_rows:
            self._con.register(_ARROW_VIEW, rows)
            try:
                names = ", ".join(quote_ident(c) for c in rows.column_names)
                self._con.execute(
                    f"INSERT INTO {quote_ident(stage_name(table))} ({names}) "
                    f"SELECT {names} FROM {quote_ident(_ARROW_VIEW)}"
                )
            finally:
                self._con.unregister(_ARROW_VIEW)
        return rows.num_rows

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        self._con.execute(sql, list(params))

    def _scalar(self, sql: str, params: Sequence[Any]) -> int:
        row = self._con.execute(sql, list(params)).fetchone()
        return int(row[0]) if row else 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    def close(self) -> None:
        self._con.close()
