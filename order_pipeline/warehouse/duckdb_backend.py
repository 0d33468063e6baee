"""The embedded warehouse: a DuckDB file, fed from canonical Parquet fetched with boto3 (no httpfs)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from order_pipeline.warehouse.base import LoadBatch, LoadError, WarehouseBusy
from order_pipeline.warehouse.s3_parquet import read_parts
from order_pipeline.warehouse.sql_batch import part_uris
from order_pipeline.warehouse.sql_names import quote_ident, stage_name
from order_pipeline.warehouse.sql_warehouse import SqlWarehouse, UpsertCounts

T = TypeVar("T")
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


class DuckDBWarehouse(SqlWarehouse):
    """One DuckDB file, one connection. A load is one transaction: a killed process leaves the file at
    the last commit (DuckDB writes a transaction to its WAL only when it commits)."""

    dialect = "duckdb"

    def __init__(self, path: str | Path, s3_client: Any, *, lock_wait_seconds: float = 120.0) -> None:
        self._path = str(path)
        self._s3 = s3_client
        self._con = connect_waiting(self._path, lock_wait_seconds)
        self._con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self._con.close()

    def _transaction(self, work: Callable[[], T]) -> T:
        self._con.begin()
        try:
            result = work()
            self._con.commit()
        except BaseException:
            self._con.rollback()
            raise
        return result

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params))

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    def _prepare(self, batch: LoadBatch) -> dict[str, pa.Table]:
        """The batch's Parquet parts, read from S3 before the transaction: a slow or failing fetch holds no lock."""
        dataset = batch.dataset
        try:
            return {t: read_parts(self._s3, part_uris(batch, t), dataset.arrow_schema(t)) for t in dataset.table_names}
        except Exception as error:
            raise LoadError(batch, str(error)) from error

    def _stage_rows(self, batch: LoadBatch, table: str, prepared: dict[str, pa.Table]) -> int:
        rows = prepared[table]
        if rows.num_rows:
            self._con.register(_ARROW_VIEW, rows)
            try:
                names = ", ".join(quote_ident(c) for c in rows.column_names)
                self._execute(f"INSERT INTO {quote_ident(stage_name(table))} ({names}) "
                              f"SELECT {names} FROM {quote_ident(_ARROW_VIEW)}")
            finally:
                self._con.unregister(_ARROW_VIEW)
        return rows.num_rows

    def _run_load(self, stage: Callable[[], dict[str, int]], merge: Callable[[], UpsertCounts],
                  after_stage: Callable[[], None] | None) -> tuple[dict[str, int], UpsertCounts]:
        def everything() -> tuple[dict[str, int], UpsertCounts]:
            staged = stage()
            if after_stage is not None:
                after_stage()
            return staged, merge()

        return self._transaction(everything)
