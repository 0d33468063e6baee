"""The full-table versions of a dataset's checks: each run's checks cover only what that run merged and
refreshed, so these prove the same contracts over the whole tables, less often (a daily schedule), and show
beside the per-run checks in the UI (asset checks on the same assets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
from dagster_aws.s3 import S3Resource

if TYPE_CHECKING:  # not exported by the dagster package: define_asset_job's return type
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from order_pipeline.components.keys import derived_key, warehouse_key
from order_pipeline.components.warehouse_resource import WarehouseResource
from order_pipeline.datasets.declaration import Dataset, DerivedTable
from order_pipeline.steps.warehouse.warehouse_checks import duplicate_key_count
from order_pipeline.warehouse.sql_derived import check_sql

FULL_CHECKS_CRON = "0 3 * * *"  # daily, 03:00 UTC: after the night's loads, before the working day
FULL_SUFFIX = "_full"


def full_checks_job_name(dataset: Dataset) -> str:
    return f"{dataset.name}_full_table_checks"


def _merge_key_check(dataset: Dataset) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=warehouse_key(dataset.name),
        name=f"{dataset.name}_merge_key_unique{FULL_SUFFIX}",
        description=f"No two rows of the whole {dataset.name} table share a merge key "
        f"({', '.join(dataset.merge_key)}). Each run checks the keys it merged; this checks them all.",
    )
    def merge_key_unique_full(s3: S3Resource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(s3.get_client()) as db:
            db.ensure_tables(dataset)
            duplicates = duplicate_key_count(db, dataset)
        return dg.AssetCheckResult(
            passed=duplicates == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"duplicate_keys": duplicates, "scope": "whole table"},
        )

    return merge_key_unique_full


def _derived_check(dataset: Dataset, derived: DerivedTable) -> dg.AssetChecksDefinition:
    assert derived.check is not None
    declared = derived.check

    @dg.asset_check(
        asset=derived_key(derived.name),
        name=f"{declared.name}{FULL_SUFFIX}",
        description=f"{declared.description} Over the whole table (each run checks the groups it refreshed).",
    )
    def derived_full(s3: S3Resource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(s3.get_client()) as db:
            db.ensure_tables(dataset)
            observed = db.query(check_sql(derived))[0]
        figures = {label: int(value) for label, value in zip(declared.labels, observed, strict=True)}
        return dg.AssetCheckResult(
            passed=len(set(figures.values())) == 1,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={**figures, "scope": "whole table"},
        )

    return derived_full


@dataclass(frozen=True)
class FullChecks:
    checks: list[dg.AssetChecksDefinition]
    job: UnresolvedAssetJobDefinition
    schedule: dg.ScheduleDefinition


def build_full_checks(dataset: Dataset) -> FullChecks:
    """The dataset's full-table checks, the job running them, and its daily schedule (on by default)."""
    checks = [
        _merge_key_check(dataset),
        *(_derived_check(dataset, derived) for derived in dataset.derived if derived.check is not None),
    ]
    job = dg.define_asset_job(
        full_checks_job_name(dataset),
        selection=dg.AssetSelection.checks(*checks),
        description=f"The full-table checks of {dataset.name} (each load checks only what it changed).",
        tags={"order_pipeline/dataset": dataset.name},
    )
    schedule = dg.ScheduleDefinition(
        name=f"{full_checks_job_name(dataset)}_daily",
        job=job,
        cron_schedule=FULL_CHECKS_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return FullChecks(checks, job, schedule)
