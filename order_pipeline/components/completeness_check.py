"""The completeness check of a dataset's warehouse asset: per landing date, every file landed is in the ledger
(loaded, quarantined or dead-lettered), and none this run loaded waited longer than the ingestion-lag setting.

Evaluated by each warehouse materialization (steps/warehouse/completeness.py) and, failing, by the reconcile sensor
for each date where it finds a gap: the date shows red in the UI, naming the missing files, until the run the
reconcile requested loads them and evaluates the check again. ERROR when files are missing (the worst outcome:
data silently absent), WARN when the data is only late. Not blocking: downstream tables may still be rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import dagster as dg

from order_pipeline.components.metadata import markdown_table
from order_pipeline.components.resources import SNSResource
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing.keys import FileVersion
from order_pipeline.layout import LakeLayout
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.warehouse.completeness import Completeness, claim_lag_notice


def completeness_check_name(dataset: Dataset) -> str:
    return f"{dataset.name}_files_loaded"


def completeness_check_spec(
    dataset: Dataset,
    warehouse_asset: dg.AssetKey,
    max_lag_minutes: int,
    partitions_def: dg.PartitionsDefinition,
) -> dg.AssetCheckSpec:
    """Partitioned like the asset: each landing date has its own result in the UI."""
    return dg.AssetCheckSpec(
        completeness_check_name(dataset),
        asset=warehouse_asset,
        partitions_def=partitions_def,
        description=(
            f"Every {dataset.name} file landed for the date is in the file ledger (loaded, quarantined or "
            f"dead-lettered), and none was loaded more than {max_lag_minutes} minutes after it landed "
            "(ORDER_PIPELINE_MAX_LAG_MINUTES). The reconcile fails it for a date with unloaded files."
        ),
    )


def lag_metadata(completeness: Completeness) -> dict[str, Any]:
    """What each warehouse materialization shows about its date: lag of the files it loaded, landed vs loaded."""
    status = completeness.date
    metadata: dict[str, Any] = {
        "files_landed_for_date": status.landed,
        "files_loaded_for_date": status.loaded,
        "files_not_loaded_for_date": len(status.not_loaded),
    }
    if completeness.run_lag.max is not None:
        metadata["lag_p50_seconds"] = dg.MetadataValue.float(round(completeness.run_lag.p50 or 0.0, 3))
        metadata["lag_max_seconds"] = dg.MetadataValue.float(round(completeness.run_lag.max, 3))
    return metadata


def completeness_check_result(
    dataset: Dataset,
    layout: LakeLayout,
    s3: Any,
    warehouse_asset: dg.AssetKey,
    completeness: Completeness,
    notifier: SNSResource,
) -> dg.AssetCheckResult:
    """The check's result for the run's date; a lag breach is also published (`lag_exceeded`), once per date."""
    status = completeness.date
    if completeness.late and claim_lag_notice(s3, layout, dataset.name, status.partition, _notice(completeness)):
        notifier.publish(
            PipelineEvent(
                "lag_exceeded",
                dataset=dataset.name,
                partition=status.partition,
                asset=warehouse_asset.to_user_string(),
                details={
                    "max_lag_minutes": completeness.max_lag_seconds // 60,
                    "files": [{"key": row.key, "lag_seconds": row.lag_seconds} for row in completeness.late[:50]],
                    "count": len(completeness.late),
                },
            )
        )
    metadata: dict[str, Any] = {
        "files_landed": status.landed,
        "files_loaded": status.loaded,
        "files_quarantined": status.quarantined,
        "files_dead_lettered": status.dead_lettered,
        "files_not_loaded": len(status.not_loaded),
        "files_missing": len(completeness.missing),
        "files_late": len(completeness.late),
        "max_lag_minutes": completeness.max_lag_seconds // 60,
        "not_loaded": markdown_table(
            ["file", "landed", "age (s)", "missing"],
            [(u.uri, u.landed_at.isoformat(), round(u.age_seconds), u.overdue) for u in status.not_loaded],
        ),
    }
    if completeness.run_lag.max is not None:
        metadata["lag_max_seconds"] = dg.MetadataValue.float(round(completeness.run_lag.max, 3))
    return dg.AssetCheckResult(
        check_name=completeness_check_name(dataset),
        asset_key=warehouse_asset,
        passed=completeness.passed,
        severity=dg.AssetCheckSeverity.ERROR if completeness.missing else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=completeness.failure or "every landed file is in the ledger, none loaded late",
    )


def reconcile_check_evaluation(
    dataset: Dataset, warehouse_asset: dg.AssetKey, partition: str, missing: Sequence[FileVersion]
) -> dg.AssetCheckEvaluation:
    """What the reconcile records for a date where it found landed files without a ledger row."""
    names = [v.uri for v in missing]
    return dg.AssetCheckEvaluation(
        asset_key=warehouse_asset,
        check_name=completeness_check_name(dataset),
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        partition=partition,
        metadata={
            "files_missing": len(names),
            "missing": dg.MetadataValue.json(names[:100]),
            "found_by": "reconcile",
        },
        description=f"{len(names)} landed file(s) of {partition} not in the ledger: "
        + ", ".join(names[:10])
        + (" …" if len(names) > 10 else ""),
    )


def _notice(completeness: Completeness) -> bytes:
    return json.dumps(
        {"late": [row.key for row in completeness.late], "max_lag_seconds": completeness.max_lag_seconds}
    ).encode()
