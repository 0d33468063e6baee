"""The load sequence of every SQL warehouse, top to bottom, in one place.

A backend (DuckDB, Redshift) supplies only its dialect, how work runs in a transaction, statement execution,
and staging: DuckDB reads the Parquet parts fetched to local files, Redshift COPYs the Parquet parts through a manifest.

A load:
  1. check the batch; prepare outside any transaction (S3 reads or manifests: a slow fetch holds no lock);
  2. stage: create the staging tables in canonical column order and fill them; stage the batch's files;
  3. (the backend's `after_stage` point: tests and benchmarks hook in here)
  4. merge: lock the tables (Redshift), de-duplicate, drop stale rows, MERGE the parents, replace their
     children, write the ledger rows, drop the temp tables (`sql_load` says why in this order).
Where the transactions fall is the backend's: one for everything on DuckDB; on Redshift the staging commits
first and the merge is its own transaction, retried on conflicts and dropped connections.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from order_pipeline.datasets.declaration import Dataset, DerivedTable
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse import sql_checks, sql_ddl, sql_derived, sql_history, sql_keyrange, sql_load
from order_pipeline.warehouse.base import (
    LEDGER_TABLE,
    ClientTimeout,
    DerivedRefresh,
    HistoryRow,
    LoadBatch,
    LoadError,
    LoadResult,
    Warehouse,
)
from order_pipeline.warehouse.sql_batch import check_batch, files_stage_rows, flat, ledger_params
from order_pipeline.warehouse.sql_names import FILES_STAGE, Dialect, losers_name, quote_ident, stage_name

T = TypeVar("T")
KEYS_PER_QUERY = 500  # bound the IN (...) list of one statement
FILES_PER_INSERT = 200  # rows of one multi-row INSERT into the batch's files stage
GROUPS_PER_STATEMENT = 400  # derived groups one refresh statement replaces
ENSURE_ATTEMPTS = 3  # table setup read the columns, then another run added one of them


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    stale: int
    child_rows: dict[str, int]
    merged_keys: int = 0
    duplicate_keys: int = 0


def temp_tables(dataset: Dataset) -> list[str]:
    return [*(stage_name(t) for t in dataset.table_names), losers_name(dataset.name), FILES_STAGE]


class SqlWarehouse(Warehouse):
    dialect: Dialect

    # -- what a backend supplies ----------------------------------------------------------------

    @abc.abstractmethod
    def _transaction(self, work: Callable[[], T]) -> T:
        """Run `work` in a transaction and commit it; roll back and re-raise on error."""

    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement in the current transaction."""

    @abc.abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query in the current transaction and return its rows."""

    @abc.abstractmethod
    def _prepare(self, batch: LoadBatch) -> Any:
        """What staging needs, made before any transaction; raises LoadError naming the cause."""

    def _release(self, prepared: Any) -> None:  # noqa: B027 - optional: only what _prepare made locally
        """Free what `_prepare` made, once the load ended either way."""

    @abc.abstractmethod
    def _stage_rows(self, batch: LoadBatch, table: str, prepared: Any) -> int:
        """Fill the (created, empty) staging table of `table`; returns the rows staged."""

    @abc.abstractmethod
    def _run_load(
        self,
        stage: Callable[[], dict[str, int]],
        merge: Callable[[], UpsertCounts],
        after_stage: Callable[[], None] | None,
    ) -> tuple[dict[str, int], UpsertCounts]:
        """Run stage, then `after_stage`, then merge, in the backend's transactions."""

    def _lock(self, dataset: Dataset) -> None:  # noqa: B027 - optional: only Redshift locks
        """Make the merge safe against a concurrent load before its first statement."""

    def _lock_derived(self, dataset: Dataset, derived: DerivedTable) -> None:  # noqa: B027 - optional: Redshift
        """Make a derived refresh safe against a concurrent load before its first statement."""

    def _load_failure(self, batch: LoadBatch, error: Exception) -> LoadError:
        return LoadError(batch, f"{type(error).__name__}: {error}")

    # -- the interface ----------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._transaction(lambda: self._fetch(sql, params))

    def ensure_tables(self, dataset: Dataset) -> None:
        wanted = [
            (t, dataset.table_columns(t), sql_ddl.dataset_table_sql(dataset, t, self.dialect))
            for t in dataset.table_names
        ]
        wanted.append((LEDGER_TABLE, sql_ddl.LEDGER_COLUMNS, sql_ddl.ledger_table_sql(self.dialect)))

        def work() -> None:
            for table, columns, ddl in wanted:
                self._execute(ddl)
                existing = {row[0] for row in self._fetch(sql_ddl.existing_columns_sql(), [table])}
                for column in columns:
                    if column.name not in existing:
                        self._execute(sql_ddl.add_column_sql(table, column, self.dialect))
            if not self._scalar(sql_load.ledger_table_exists_sql(), [sql_history.LOAD_HISTORY_VIEW]):
                self._execute(sql_history.load_history_view_sql())

        for attempt in range(1, ENSURE_ATTEMPTS + 1):
            try:
                self._transaction(work)
                break
            except Exception as exc:
                # another run added the column after this one read the table's columns: read them again (the
                # same declaration or evolution state gives the same column and type)
                if attempt == ENSURE_ATTEMPTS or not self._is_duplicate_column(exc):
                    raise
        self._ensure_derived(dataset)

    def _is_duplicate_column(self, error: Exception) -> bool:
        """Whether `error` is ADD COLUMN finding the column there ("already exists"); only a backend whose tables
        other sessions alter concurrently needs to say so."""
        return False

    def _own_temp_tables(self, names: Sequence[str]) -> list[str]:
        """Which of `names` are temp tables of this session (never a permanent table of the same name)."""
        return [row[0] for row in self._fetch(sql_ddl.own_temp_tables_sql(len(names), self.dialect), list(names))]

    def _ensure_derived(self, dataset: Dataset) -> None:
        """Each derived table (and its pending groups) created once and then kept: never dropped."""
        statements = []
        for derived in dataset.derived:
            statements.append(sql_derived.derived_table_sql(derived, self.dialect))
            if derived.groups is not None:
                statements.append(sql_derived.pending_table_sql(derived, self.dialect))
        if not statements:
            return

        def work() -> None:
            for statement in statements:
                self._execute(statement)

        self._transaction(work)

    def refresh_derived(self, dataset: Dataset, derived: DerivedTable, *, full: bool = False) -> DerivedRefresh:
        started = time.perf_counter()

        def work() -> DerivedRefresh:
            self._lock_derived(dataset, derived)
            # a first fill (the table is new beside a loaded parent) must be whole: no pending group names it
            whole = (
                full
                or derived.groups is None
                or (
                    not self._scalar(sql_derived.has_rows_sql(derived.name))
                    and bool(self._scalar(sql_derived.has_rows_sql(dataset.name)))
                )
            )
            if whole:
                self._execute(sql_derived.delete_rows_sql(derived))
                self._execute(sql_derived.insert_rows_sql(dataset, derived))
                if derived.groups is not None:
                    self._execute(sql_derived.delete_pending_sql(derived))
                rows = self._scalar(sql_load.count_sql(derived.name))
                check = self._check(derived, None)
                return DerivedRefresh(derived.name, True, (), rows, check, time.perf_counter() - started)
            groups = tuple(row[0] for row in self._fetch(sql_derived.pending_groups_sql(derived)))
            rows = 0
            for start in range(0, len(groups), GROUPS_PER_STATEMENT):
                chunk = groups[start : start + GROUPS_PER_STATEMENT]
                scope = sql_derived.parent_scope(derived, chunk)
                self._execute(sql_derived.delete_rows_sql(derived, sql_derived.derived_scope(derived, chunk)))
                # the key range of these dates' parents, as literals: bounds the child rows the summary reads
                key = self._key_range(dataset, dataset.name, scope)
                self._execute(sql_derived.insert_rows_sql(dataset, derived, scope, key))
                self._execute(sql_derived.delete_pending_sql(derived, chunk))
                rows += self._scalar(
                    f"SELECT COUNT(*) FROM {quote_ident(derived.name)} "
                    f"WHERE {sql_derived.derived_scope(derived, chunk)}"
                )
            check = self._check(derived, groups) if groups else None
            return DerivedRefresh(derived.name, False, groups, rows, check, time.perf_counter() - started)

        return self._transaction(work)

    def _check(self, derived: DerivedTable, groups: Sequence[Any] | None) -> tuple[int, int] | None:
        if derived.check is None:
            return None
        first, second = self._fetch(sql_derived.check_sql(derived, groups))[0]
        return int(first), int(second)

    def ledger_statuses(self, dataset: Dataset, files: Sequence[FileVersion]) -> dict[tuple[str, str], str]:
        wanted = {(f.key, f.etag) for f in files}
        keys = sorted({key for key, _ in wanted})
        found: dict[tuple[str, str], str] = {}
        if not keys or not self._ledger_exists():
            return found
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start : start + KEYS_PER_QUERY]
            for key, etag, status in self.query(sql_load.ledger_statuses_sql(len(chunk)), [dataset.name, *chunk]):
                if (key, etag) in wanted:
                    found[(key, etag)] = status
        return found

    def loaded_versions(self, dataset: Dataset, files: Sequence[FileVersion]) -> set[tuple[str, str]]:
        return set(self.ledger_statuses(dataset, files))

    def ledger_by_partition(self, dataset: Dataset, partitions: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
        wanted = sorted(set(partitions))
        found: dict[str, set[tuple[str, str]]] = {p: set() for p in wanted}
        if not wanted or not self._ledger_exists():
            return found
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            chunk = wanted[start : start + KEYS_PER_QUERY]
            for partition, key, etag in self.query(sql_load.ledger_partitions_sql(len(chunk)), [dataset.name, *chunk]):
                found.setdefault(str(partition), set()).add((key, etag))
        return found

    def load_history(self, dataset: Dataset, partitions: Iterable[str]) -> list[HistoryRow]:
        wanted = sorted(set(partitions))
        if not wanted or not self._ledger_exists():
            return []
        self.ensure_history_view()
        rows: list[HistoryRow] = []
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            chunk = wanted[start : start + KEYS_PER_QUERY]
            for row in self.query(sql_history.history_sql(len(chunk)), [dataset.name, *chunk]):
                partition, key, etag, status, count, landed, loaded, lag, error, run_id = row
                rows.append(
                    HistoryRow(
                        str(partition),
                        key,
                        etag,
                        status,
                        None if count is None else int(count),
                        landed,
                        loaded,
                        None if lag is None else float(lag),
                        error,
                        run_id,
                    )
                )
        return rows

    def ensure_history_view(self) -> None:
        """The load_history view, created if missing (a ledger written before the view existed gets it here)."""

        def work() -> None:
            if not self._scalar(sql_load.ledger_table_exists_sql(), [sql_history.LOAD_HISTORY_VIEW]):
                self._execute(sql_history.load_history_view_sql())

        self._transaction(work)

    def load_batch(self, batch: LoadBatch, *, after_stage: Callable[[], None] | None = None) -> LoadResult:
        check_batch(batch)
        started = time.perf_counter()
        dataset = batch.dataset
        prepared = self._prepare(batch)

        def stage() -> dict[str, int]:
            for name in self._own_temp_tables(temp_tables(dataset)):  # leftovers of a failed try in this session
                self._execute(sql_ddl.drop_temp_sql(name))
            staged = {}
            for table in dataset.table_names:
                self._execute(sql_ddl.staging_table_sql(dataset, table, self.dialect))
                staged[table] = self._stage_rows(batch, table, prepared)
            self._execute(sql_ddl.files_stage_sql(self.dialect))
            rows = files_stage_rows(batch)
            for start in range(0, len(rows), FILES_PER_INSERT):
                chunk = rows[start : start + FILES_PER_INSERT]
                self._execute(sql_load.insert_files_sql(len(chunk)), flat(chunk))
            return staged

        def merge() -> UpsertCounts:
            self._lock(dataset)
            counts = self._upsert(dataset)
            self._execute(sql_load.ledger_insert_sql(), ledger_params(batch, datetime.now(timezone.utc)))
            for name in temp_tables(dataset):
                self._execute(sql_ddl.drop_temp_sql(name))
            return counts

        try:
            staged, counts = self._run_load(stage, merge, after_stage)
        except (LoadError, ClientTimeout):
            raise
        except Exception as error:
            raise self._load_failure(batch, error) from error
        finally:
            self._release(prepared)
        return LoadResult(
            files=len(batch.files),
            staged=staged,
            inserted=counts.inserted,
            updated=counts.updated,
            stale=counts.stale,
            child_rows=counts.child_rows,
            seconds=time.perf_counter() - started,
            merged_keys=counts.merged_keys,
            duplicate_keys=counts.duplicate_keys,
        )

    # -- the merge --------------------------------------------------------------------------------

    def _upsert(self, dataset: Dataset) -> UpsertCounts:
        """De-duplicate, drop stale, MERGE the parents and replace their children; staging must be filled."""
        stage = stage_name(dataset.name)
        self._execute(sql_load.dedup_losers_sql(dataset))
        self._execute(sql_load.dedup_delete_sql(dataset))
        self._execute(sql_ddl.drop_temp_sql(losers_name(dataset.name)))
        unique = self._scalar(sql_load.count_sql(stage))
        # the staged keys' range as literals, so each key join below reads only that part of the big tables
        # (zone maps); a superset filter: stale rows leaving the stage only narrow the keys inside it
        key = self._key_range(dataset, stage) if unique else None
        self._execute(sql_load.stale_delete_sql(dataset, key))
        survivors = self._scalar(sql_load.count_sql(stage))
        updated = self._scalar(sql_load.matched_count_sql(dataset, key))
        for derived in dataset.derived:  # before the MERGE: the groups updated rows move out of
            if derived.groups is not None:
                self._execute(sql_derived.capture_replaced_groups_sql(dataset, derived, key))
                self._execute(sql_derived.capture_staged_groups_sql(dataset, derived, self.dialect))
        if self.dialect == "duckdb":
            for statement in sql_load.replace_sql(dataset, self.dialect, key):
                self._execute(statement)
        else:
            self._execute(sql_load.merge_sql(dataset, self.dialect, key))
        # the merge-key check, scoped to the keys this batch merged (the full-table one runs on its own)
        duplicate_keys = self._scalar(sql_checks.merged_duplicates_sql(dataset, key)) if survivors else 0
        child_rows: dict[str, int] = {}
        for child in dataset.children:
            self._execute(sql_load.child_delete_sql(dataset, child.name, key))
            child_rows[child.name] = self._scalar(sql_load.child_count_sql(dataset, child.name))
            self._execute(sql_load.child_insert_sql(dataset, child.name, self.dialect))
        return UpsertCounts(
            inserted=survivors - updated,
            updated=updated,
            stale=unique - survivors,
            child_rows=child_rows,
            merged_keys=survivors,
            duplicate_keys=duplicate_keys,
        )

    def _key_range(self, dataset: Dataset, table: str, scope: str | None = None) -> sql_keyrange.KeyRange | None:
        """The merge-key range of `table`'s rows (in `scope`), or None (no rows, or no safe literal)."""
        low, high, _ = self._fetch(sql_keyrange.key_bounds_sql(dataset, table, scope))[0]
        return sql_keyrange.key_range(dataset, low, high)

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self._fetch(sql, params)
        return int(rows[0][0]) if rows else 0

    def _ledger_exists(self) -> bool:
        return bool(self.query(sql_load.ledger_table_exists_sql(), [LEDGER_TABLE])[0][0])
