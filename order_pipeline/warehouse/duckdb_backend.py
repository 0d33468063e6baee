"""The embedded warehouse: a DuckDB file, fed from canonical Parquet fetched with boto3 (no httpfs)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from order_pipeline.warehouse.base import LoadBatch, LoadError, WarehouseBusy
from order_pipeline.warehouse.duckdb_memory import DEFAULT_MEMORY_LIMIT, STAGE_BYTES, stage_pieces
from order_pipeline.warehouse.s3_parquet import fetch_parts
from order_pipeline.warehouse.sql_batch import part_uris
from order_pipeline.warehouse.sql_names import quote_ident, quote_literal, stage_name
from order_pipeline.warehouse.sql_warehouse import SqlWarehouse, UpsertCounts

T = TypeVar("T")


def create_folder(path: str) -> None:
    """The database file's folder, created on first use as the state folder (`.local`) is: a new
    ORDER_PIPELINE_STATE_DIR or ORDER_PIPELINE_DUCKDB_PATH works at once instead of failing every run."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create the folder of the DuckDB warehouse {path}: {error}") from error


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


@dataclass(frozen=True)
class _LocalParts:
    folder: Path
    tables: dict[str, tuple[list[str], list[Path]]]  # table -> (canonical columns, its parts in batch order)


class DuckDBWarehouse(SqlWarehouse):
    """One DuckDB file, one connection. A load is one transaction: a killed process leaves the file at
    the last commit (DuckDB writes a transaction to its WAL only when it commits). `memory_limit` bounds DuckDB's
    memory (it spills to `<database>.tmp` above it; None keeps DuckDB's default, 80% of RAM); `stage_bytes` bounds
    the Parquet bytes one staging INSERT reads (duckdb_memory)."""

    dialect = "duckdb"

    def __init__(
        self,
        path: str | Path,
        s3_client: Any,
        *,
        lock_wait_seconds: float = 120.0,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
        stage_bytes: int = STAGE_BYTES,
    ) -> None:
        self._path = str(path)
        self._s3 = s3_client
        self._stage_bytes = stage_bytes
        create_folder(self._path)
        self._con = connect_waiting(self._path, lock_wait_seconds)
        self._con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            try:
                self._con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
            except duckdb.Error as error:
                self._con.close()
                raise ValueError(f"the DuckDB memory limit {memory_limit!r} is not valid: {error}") from error

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

    def _prepare(self, batch: LoadBatch) -> _LocalParts:
        """The batch's Parquet parts, fetched from S3 to local files before the transaction: a slow or failing
        fetch holds no lock, and DuckDB streams the rows from the files (memory stays flat at any batch size)."""
        dataset = batch.dataset
        folder = Path(tempfile.mkdtemp(prefix="order-pipeline-load-"))
        try:
            return _LocalParts(
                folder,
                {
                    t: (
                        dataset.arrow_schema(t).names,
                        fetch_parts(
                            self._s3,
                            part_uris(batch, t),
                            dataset.arrow_schema(t),
                            folder / t,
                            etags=[f.part_etags.get(t) for f in batch.files if f.status == "loaded" and t in f.parts],
                        ),
                    )
                    for t in dataset.table_names
                },
            )
        except Exception as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise LoadError(batch, str(error)) from error

    def _release(self, prepared: _LocalParts) -> None:
        shutil.rmtree(prepared.folder, ignore_errors=True)

    def _stage_rows(self, batch: LoadBatch, table: str, prepared: _LocalParts) -> int:
        columns, paths = prepared.tables[table]
        if not paths:
            return 0
        names = ", ".join(quote_ident(c) for c in columns)
        staged = 0
        # staging needs no row order (file order is a column): unordered, DuckDB streams the insert in less memory
        self._con.execute("SET preserve_insertion_order = false")
        try:
            # in pieces of at most stage_bytes of Parquet, all in the load's transaction: what one statement reads
            # stays bounded however many parts a partition has, and the batch still commits or not as a whole
            for piece in stage_pieces(paths, self._stage_bytes):
                files = ", ".join(quote_literal(str(p)) for p in piece)
                (rows,) = self._con.execute(
                    f"INSERT INTO {quote_ident(stage_name(table))} ({names}) SELECT {names} "
                    f"FROM read_parquet([{files}], union_by_name = true)"
                ).fetchone() or (0,)  # an INSERT always returns its row count
                staged += int(rows)
        finally:
            self._con.execute("RESET preserve_insertion_order")
        return staged

    def _run_load(
        self,
        stage: Callable[[], dict[str, int]],
        merge: Callable[[], UpsertCounts],
        after_stage: Callable[[], None] | None,
    ) -> tuple[dict[str, int], UpsertCounts]:
        def everything() -> tuple[dict[str, int], UpsertCounts]:
            staged = stage()
            if after_stage is not None:
                after_stage()
            return staged, merge()

        return self._transaction(everything)
