"""Load the converted, not yet loaded files of one partition into the warehouse, as one batch.

The warehouse ledger decides what is pending, so a re-run loads nothing twice and a failed run is completed
by the next one. When a batch keeps failing, `isolate_failures` loads file by file: the good files land and
each file that still fails is dead-lettered in the ledger with its error — nothing is lost, nothing blocks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
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
from order_pipeline.steps.lake.schema_state import SchemaStateStore
from order_pipeline.steps.warehouse.load_attempts import MAX_LOAD_ATTEMPTS, LoadAttempts, cut_short_reason
from order_pipeline.steps.warehouse.part_layout import conform_part
from order_pipeline.steps.warehouse.warehouse_checks import duplicate_key_count, row_count
from order_pipeline.warehouse.base import BatchFile, LoadBatch, LoadResult, Warehouse

log = logging.getLogger(__name__)


@dataclass
class PartitionLoad:
    dataset: Dataset | None = None  # as loaded: with the columns schema evolution added
    pending: list[ConvertedFile] = field(default_factory=list)
    not_converted: list[FileVersion] = field(default_factory=list)  # landed after the lake step ran
    results: list[LoadResult] = field(default_factory=list)
    dead_lettered: list[tuple[ConvertedFile, str]] = field(default_factory=list)

    @property
    def loaded_files(self) -> list[ConvertedFile]:
        """Pending files whose rows were loaded (not dead-lettered, quarantined or ignored)."""
        dead = {file.source.version_id for file, _ in self.dead_lettered}
        return [file for file in self.pending if file.source.version_id not in dead and file.loadable]

    def total(self, attribute: str) -> int:
        return sum(getattr(result, attribute) for result in self.results)

    def child_rows(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.results:
            for table, rows in result.child_rows.items():
                totals[table] = totals.get(table, 0) + rows
        return totals


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


def pending_files(
    s3: Any,
    warehouse: Warehouse,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    files: Sequence[FileVersion],
    listed: dict[str, str] | None = None,
) -> PartitionLoad:
    loaded = warehouse.loaded_versions(dataset, files)
    plan = PartitionLoad()
    listed = listed if listed is not None else conversions_listing(s3, layout, dataset, partition)
    for version in files:
        if (version.key, version.etag) in loaded:
            continue
        etag = listed.get(layout.record_key(dataset.name, partition, version))
        record = None if etag is None else read_record(s3, layout, dataset, partition, version, etag)
        if record is None:
            plan.not_converted.append(version)
        else:
            plan.pending.append(record)
    return plan


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
) -> PartitionLoad:
    """Load the partition's pending files with the dataset as schema evolution left it: evolved columns are added
    to the tables (ALTER TABLE ADD COLUMN: existing rows get NULL) and every part brought to that layout."""
    dataset = SchemaStateStore(s3, layout, dataset).effective()
    warehouse.ensure_tables(dataset)
    listed = conversions_listing(s3, layout, dataset, partition)
    plan = pending_files(s3, warehouse, layout, dataset, partition, files, listed)
    plan.dataset = dataset
    if not plan.pending:
        return plan
    plan.pending = [conform_part(s3, layout, dataset, converted) for converted in plan.pending]
    attempts = LoadAttempts(
        s3, layout, dataset, partition, recorded=layout.load_attempts_key(dataset.name, partition) in listed
    )
    cut_short = attempts.cut_short()
    if any(cut_short.get(c.source.version_id) for c in plan.pending):
        log.warning(
            "a load of %s %s was cut short before; loading its %d files one by one",
            dataset.name,
            partition,
            len(plan.pending),
        )
        return _one_by_one(warehouse, plan, attempts, cut_short, dataset, partition, run_id)
    versions = [c.source for c in plan.pending]
    batch = LoadBatch(
        dataset=dataset,
        partition=partition,
        run_id=run_id,
        files=tuple(batch_file(converted) for converted in plan.pending),
    )
    attempts.start(versions)
    try:
        plan.results.append(warehouse.load_batch(batch))
        _drop_local_copies(layout, dataset, plan.pending, listed)
        return plan
    except Exception:
        if not isolate_failures:
            raise
        log.warning(
            "batch for %s %s failed; loading its %d files one by one",
            dataset.name,
            partition,
            len(plan.pending),
            exc_info=True,
        )
    finally:
        attempts.finish(versions)
    return _one_by_one(warehouse, plan, attempts, {}, dataset, partition, run_id)


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
    dataset: Dataset,
    partition: str,
    run_id: str,
) -> PartitionLoad:
    """Each file in a load of its own: the good ones land, each failing one is dead-lettered with its error."""

    def dead_letter(converted: ConvertedFile, error: str) -> None:
        dead = LoadBatch(
            dataset=dataset, partition=partition, run_id=run_id, files=(batch_file(converted, dead_letter_error=error),)
        )
        plan.results.append(warehouse.load_batch(dead))
        plan.dead_lettered.append((converted, error))

    for converted in plan.pending:
        version = converted.source
        previous = cut_short.get(version.version_id, 0)
        if previous >= MAX_LOAD_ATTEMPTS:
            dead_letter(converted, cut_short_reason(version, previous))
            continue
        single = LoadBatch(dataset=dataset, partition=partition, run_id=run_id, files=(batch_file(converted),))
        attempts.start([version])
        try:
            plan.results.append(warehouse.load_batch(single))
        except Exception as error:  # noqa: BLE001 - the error is kept in the ledger and reported
            dead_letter(converted, f"{version.uri}: {error}"[:2000])
        finally:
            attempts.finish([version])
    return plan


@dataclass(frozen=True)
class WarehouseRun:
    """One landing date through the warehouse step: what was loaded, and the tables' state afterwards."""

    partition: str
    load: PartitionLoad
    duplicate_keys: int
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
) -> WarehouseRun:
    """Load the date's converted, not yet loaded files; then count rows and merge-key duplicates (must be 0)."""
    started = time.monotonic()
    files = list_landing_day(s3, layout.bucket, layout.landing_root(dataset.name), date.fromisoformat(partition))
    plan = load_partition(s3, warehouse, layout, dataset, partition, run_id, files, isolate_failures=isolate_failures)
    return WarehouseRun(
        partition,
        plan,
        duplicate_key_count(warehouse, dataset),
        {table: row_count(warehouse, table) for table in dataset.table_names},
        round(time.monotonic() - started, 3),
    )
