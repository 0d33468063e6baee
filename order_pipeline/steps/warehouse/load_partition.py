"""Load the converted, not yet loaded files of one partition into the warehouse, in batches of bounded size.

The warehouse ledger decides what is pending, so a re-run loads nothing twice and a failed run is completed
by the next one. When a batch keeps failing, `isolate_failures` loads file by file: the good files land and
each file that still fails is dead-lettered in the ledger with its error — nothing is lost, nothing blocks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from order_pipeline.aws import s3_objects
from order_pipeline.aws.local_copies import LocalCopies
from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.aws.s3_objects import parse_s3_uri
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.convert_partition import read_record
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.lake_summary import LIST_LIMIT
from order_pipeline.steps.lake.schema_state import SchemaStateStore
from order_pipeline.steps.warehouse.load_attempts import MAX_LOAD_ATTEMPTS, LoadAttempts, cut_short_reason
from order_pipeline.steps.warehouse.part_layout import conform_part
from order_pipeline.steps.warehouse.warehouse_checks import row_count
from order_pipeline.warehouse.base import BatchFile, ClientTimeout, LoadBatch, LoadResult, Warehouse

log = logging.getLogger(__name__)


@dataclass
class PartitionLoad:
    """What the warehouse step did for a date, in bounded memory: counts, per-batch results, the first
    LIST_LIMIT URIs of each list (the files' records are read, loaded and dropped one batch at a time)."""

    dataset: Dataset | None = None  # as loaded: with the columns schema evolution added
    files_pending: int = 0  # converted files not yet loaded when the step started
    files_loaded: int = 0  # of those, files whose rows were loaded (not dead-lettered, quarantined or ignored)
    sources: list[str] = field(default_factory=list)  # the first LIST_LIMIT URIs of the files loaded
    not_converted: list[FileVersion] = field(default_factory=list)  # landed after the lake step (first LIST_LIMIT)
    not_converted_total: int = 0
    batches: int = 0  # load transactions committed (one per batch, or per file when loaded one by one)
    results: list[LoadResult] = field(default_factory=list)  # one per batch
    dead_lettered: list[tuple[ConvertedFile, str]] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(getattr(result, attribute) for result in self.results)

    def child_rows(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.results:
            for table, rows in result.child_rows.items():
                totals[table] = totals.get(table, 0) + rows
        return totals

    def loaded(self, files: Sequence[ConvertedFile], result: LoadResult) -> None:
        self.results.append(result)
        self.batches += 1
        for converted in files:
            if converted.loadable:
                self.files_loaded += 1
                if len(self.sources) < LIST_LIMIT:
                    self.sources.append(converted.source.uri)

    def pending_conversion(self, version: FileVersion) -> None:
        self.not_converted_total += 1
        if len(self.not_converted) < LIST_LIMIT:
            self.not_converted.append(version)


def batch_file(converted: ConvertedFile, *, dead_letter_error: str | None = None) -> BatchFile:
    if dead_letter_error is not None:
        return BatchFile(source=converted.source, status="dead_letter", error=dead_letter_error)
    if not converted.loadable:  # rejected, or an ignored marker: a ledger row with the reason, no rows
        return BatchFile(source=converted.source, status="quarantined", error=converted.error)
    return BatchFile(
        source=converted.source,
        parts=dict(converted.parts),
        rows=dict(converted.rows),
        part_etags=dict(converted.part_etags),
    )


def conversions_listing(s3: Any, layout: LakeLayout, dataset: Dataset, partition: str) -> dict[str, str]:
    """key -> ETag of the partition's conversion records and crash guards: one listing answers which files were
    converted (and finds the local copies of their records) instead of a GET per file."""
    folder = layout.conversions_folder(dataset.name, partition)
    return {item.key: item.etag for item in s3_objects.list_prefix(s3, layout.bucket, folder)}


def pending_batches(
    s3: Any,
    warehouse: Warehouse,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    files: Sequence[FileVersion],
    plan: PartitionLoad,
    max_files: int,
    listed: dict[str, str],
) -> Iterator[list[ConvertedFile]]:
    """The date's converted, not yet loaded files, max_files at a time, each part in the dataset's current layout;
    the ledger is asked max_files versions at a time, and at most one batch of records is held. `listed` (the
    conversions listing) says which files were converted, so a file not converted costs no request."""
    batch: list[ConvertedFile] = []
    for start in range(0, len(files), max_files):
        chunk = files[start : start + max_files]
        loaded = warehouse.loaded_versions(dataset, chunk)
        for version in chunk:
            if (version.key, version.etag) in loaded:
                continue
            etag = listed.get(layout.record_key(dataset.name, partition, version))
            record = None if etag is None else read_record(s3, layout, dataset, partition, version, etag)
            if record is None:
                plan.pending_conversion(version)
                continue
            plan.files_pending += 1
            batch.append(conform_part(s3, layout, dataset, record))
            if len(batch) == max_files:
                yield batch
                batch = []
    if batch:
        yield batch


def load_partition(
    s3: Any,
    warehouse: Warehouse,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    run_id: str,
    files: Sequence[FileVersion],
    *,
    isolate_failures: bool = False,
    max_files: int,  # ORDER_PIPELINE_MAX_FILES_PER_BATCH
) -> PartitionLoad:
    """Load the partition's pending files with the dataset as schema evolution left it: evolved columns are added
    to the tables (ALTER TABLE ADD COLUMN: existing rows get NULL) and every part brought to that layout.

    Files are loaded in batches of at most `max_files`, each batch in a transaction of its own with its ledger
    rows: memory and statement sizes do not grow with the date's file count, and a run that stops between
    batches leaves the earlier ones loaded; the ledger gives the next run the rest."""
    if max_files < 1:
        raise ValueError(f"max_files must be at least 1, not {max_files}")
    dataset = SchemaStateStore(s3, layout, dataset).effective()
    warehouse.ensure_tables(dataset)
    plan = PartitionLoad(dataset=dataset)
    listed = conversions_listing(s3, layout, dataset, partition)
    attempts = LoadAttempts(
        s3, layout, dataset, partition, recorded=layout.load_attempts_key(dataset.name, partition) in listed
    )
    cut_short = attempts.cut_short()
    for pending in pending_batches(s3, warehouse, layout, dataset, partition, files, plan, max_files, listed):
        loaded = _load_one_batch(warehouse, plan, attempts, cut_short, pending, partition, run_id, isolate_failures)
        if loaded:  # the lake step's local copies of what was just loaded are not needed any more
            _drop_local_copies(layout, dataset, pending, listed)
    return plan


def _load_one_batch(
    warehouse: Warehouse,
    plan: PartitionLoad,
    attempts: LoadAttempts,
    cut_short: dict[str, int],
    pending: list[ConvertedFile],
    partition: str,
    run_id: str,
    isolate_failures: bool,
) -> bool:
    """Load one batch in a transaction of its own; True when it loaded whole (False: file by file)."""
    assert plan.dataset is not None
    dataset = plan.dataset
    if any(cut_short.get(c.source.version_id) for c in pending):
        log.warning(
            "a load of %s %s was cut short before; loading its %d files one by one",
            dataset.name,
            partition,
            len(pending),
        )
        _one_by_one(warehouse, plan, attempts, cut_short, pending, partition, run_id)
        return False
    versions = [c.source for c in pending]
    batch = LoadBatch(
        dataset=dataset,
        partition=partition,
        run_id=run_id,
        files=tuple(batch_file(converted) for converted in pending),
    )
    attempts.start(versions)
    try:
        plan.loaded(pending, warehouse.load_batch(batch))
        return True
    except ClientTimeout:
        raise  # the server may still hold the statement's locks: neither retried nor loaded file by file
    except Exception:
        if not isolate_failures:
            raise
        log.warning(
            "batch for %s %s failed; loading its %d files one by one",
            dataset.name,
            partition,
            len(pending),
            exc_info=True,
        )
    finally:
        attempts.finish(versions)
    _one_by_one(warehouse, plan, attempts, {}, pending, partition, run_id)
    return False


def _drop_local_copies(
    layout: LakeLayout, dataset: Dataset, loaded: Sequence[ConvertedFile], listed: dict[str, str]
) -> None:
    """The lake step's local copies of what was just loaded are not needed any more."""
    copies = LocalCopies()
    for converted in loaded:
        record_key = layout.record_key(dataset.name, converted.partition, converted.source)
        copies.drop(layout.bucket, record_key, listed.get(record_key))
        for table, uri in converted.parts.items():
            bucket, key = parse_s3_uri(uri)
            copies.drop(bucket, key, converted.part_etags.get(table))


def _one_by_one(
    warehouse: Warehouse,
    plan: PartitionLoad,
    attempts: LoadAttempts,
    cut_short: dict[str, int],
    pending: list[ConvertedFile],
    partition: str,
    run_id: str,
) -> None:
    """Each file in a load of its own: the good ones land, each failing one is dead-lettered with its error."""
    assert plan.dataset is not None
    dataset = plan.dataset

    def dead_letter(converted: ConvertedFile, error: str) -> None:
        dead = LoadBatch(
            dataset=dataset, partition=partition, run_id=run_id, files=(batch_file(converted, dead_letter_error=error),)
        )
        plan.loaded([], warehouse.load_batch(dead))
        plan.dead_lettered.append((converted, error))

    for converted in pending:
        version = converted.source
        previous = cut_short.get(version.version_id, 0)
        if previous >= MAX_LOAD_ATTEMPTS:
            dead_letter(converted, cut_short_reason(version, previous))
            continue
        single = LoadBatch(dataset=dataset, partition=partition, run_id=run_id, files=(batch_file(converted),))
        attempts.start([version])
        try:
            plan.loaded([converted], warehouse.load_batch(single))
        except ClientTimeout:
            raise
        except Exception as error:  # noqa: BLE001 - the error is kept in the ledger and reported
            dead_letter(converted, f"{version.uri}: {error}"[:2000])
        finally:
            attempts.finish([version])


@dataclass(frozen=True)
class WarehouseRun:
    """One landing date through the warehouse step: what was loaded, and the tables' state afterwards."""

    partition: str
    load: PartitionLoad
    duplicate_keys: int  # among the keys this run merged (the full-table check runs on its own schedule)
    table_rows: dict[str, int]
    seconds: float


def load_landing_date(
    s3: Any,
    warehouse: Warehouse,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    run_id: str,
    *,
    isolate_failures: bool = False,
    max_files: int,  # ORDER_PIPELINE_MAX_FILES_PER_BATCH
) -> WarehouseRun:
    """Load the date's converted, not yet loaded files; then count rows. Each load counted the merge-key
    duplicates among the keys it merged (must be 0)."""
    started = time.monotonic()
    files = list_landing_day(s3, layout.bucket, layout.landing_root(dataset.name), date.fromisoformat(partition))
    plan = load_partition(
        s3, warehouse, layout, dataset, partition, run_id, files, isolate_failures=isolate_failures, max_files=max_files
    )
    return WarehouseRun(
        partition,
        plan,
        plan.total("duplicate_keys"),
        {table: row_count(warehouse, table) for table in dataset.table_names},
        round(time.monotonic() - started, 3),
    )
