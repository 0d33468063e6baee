"""The warehouse interface: what the assets need from any backend (DuckDB embedded, Redshift)."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from order_pipeline.datasets.declaration import Dataset, DerivedTable
from order_pipeline.landing import FileVersion

LEDGER_TABLE = "file_ledger"

FileStatus = Literal["loaded", "quarantined", "dead_letter"]


@dataclass(frozen=True)
class BatchFile:
    """One landing file version in a load batch, with its canonical Parquet per table."""

    source: FileVersion
    parts: Mapping[str, str] = field(default_factory=dict)  # table name -> s3://… of its canonical Parquet
    rows: Mapping[str, int] = field(default_factory=dict)  # table name -> rows in that Parquet
    status: FileStatus = "loaded"  # quarantined / dead_letter files carry no parts: only a ledger row
    error: str | None = None
    part_etags: Mapping[str, str] = field(default_factory=dict)  # table -> ETag of its part (finds local copies)


@dataclass(frozen=True)
class LoadBatch:
    dataset: Dataset
    partition: str
    run_id: str
    files: tuple[BatchFile, ...]  # in file order: ties on the version column go to the later file


@dataclass(frozen=True)
class LoadResult:
    files: int
    staged: Mapping[str, int]  # table -> rows staged (before de-duplication)
    inserted: int  # parent rows new to the table
    updated: int  # parent rows replaced by a newer version
    stale: int  # staged parent rows dropped because the table already held a newer version
    child_rows: Mapping[str, int]  # child table -> rows written
    seconds: float
    # the merge-key check scoped to this batch: keys merged, and how many of them the table now holds twice
    merged_keys: int = 0
    duplicate_keys: int = 0


@dataclass(frozen=True)
class DerivedRefresh:
    """What one refresh of a derived table did, and its check over the groups it wrote."""

    table: str
    full: bool  # rebuilt whole (no groups declared, a first fill, or the repair command)
    groups: tuple[Any, ...]  # the groups replaced (empty for a full rebuild)
    rows: int  # derived rows written
    check: tuple[int, int] | None  # the declared check's two figures over what was written
    seconds: float


class ClientTimeout(RuntimeError):
    """The client's own socket timeout cut a statement the server may still be running, holding its locks.
    Never retried (a retry would wait behind the abandoned statement): the message names the setting."""


@dataclass(frozen=True)
class HistoryRow:
    """One row of the load_history view (warehouse/sql_history.py): a file version and its fate."""

    partition: str
    key: str
    etag: str
    status: str
    rows: int | None
    landed_at: datetime | None
    loaded_at: datetime
    lag_seconds: float | None
    error: str | None
    run_id: str | None = None


class LoadError(RuntimeError):
    """A load batch failed and was rolled back: the message names the batch's files and the cause."""

    def __init__(self, batch: LoadBatch, cause: str, *, max_files: int = 20) -> None:
        names = [f"{f.source.uri}@{f.source.etag}" for f in batch.files]
        more = len(names) - max_files
        listed = ", ".join(names[:max_files]) + (f" and {more} more" if more > 0 else "")
        super().__init__(
            f"load of {len(names)} file(s) of dataset {batch.dataset.name!r} "
            f"(partition {batch.partition}) rolled back: {cause}; files: {listed}"
        )
        self.files = tuple(names)
        self.cause = cause


class WarehouseBusy(RuntimeError):
    """The warehouse is held by another process for longer than the caller chose to wait (DuckDB: one writer)."""


class Warehouse(abc.ABC):
    """One small interface, two backends. All methods are safe to call repeatedly."""

    @abc.abstractmethod
    def ensure_tables(self, dataset: Dataset) -> None:
        """Create the dataset's tables and the file ledger if missing; add new nullable columns."""

    @abc.abstractmethod
    def loaded_versions(self, dataset: Dataset, files: Sequence[FileVersion]) -> set[tuple[str, str]]:
        """The (key, etag) pairs among `files` that the ledger already holds, whatever their status."""

    @abc.abstractmethod
    def ledger_statuses(self, dataset: Dataset, files: Sequence[FileVersion]) -> dict[tuple[str, str], str]:
        """(key, etag) -> ledger status (loaded, quarantined, dead_letter) for those of `files` the ledger holds."""

    @abc.abstractmethod
    def ledger_by_partition(self, dataset: Dataset, partitions: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
        """partition -> the (key, etag) pairs the ledger holds for those landing dates; {} before any load."""

    @abc.abstractmethod
    def load_history(self, dataset: Dataset, partitions: Iterable[str]) -> list[HistoryRow]:
        """The load_history rows of those landing dates (one per file version in the ledger); [] before any load."""

    @abc.abstractmethod
    def load_batch(self, batch: LoadBatch, *, after_stage: Callable[[], None] | None = None) -> LoadResult:
        """Stage, de-duplicate, upsert, replace children and write the ledger in one transaction.

        `after_stage` runs after staging and before commit (tests use it to kill a load half way).
        """

    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read query and return all rows."""

    @abc.abstractmethod
    def refresh_derived(self, dataset: Dataset, derived: DerivedTable, *, full: bool = False) -> DerivedRefresh:
        """Replace the derived table's groups that loads touched since its last refresh (or, `full`, all of its
        rows) in place, in one transaction, and evaluate its check over what was written."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
