"""The quarantine check of a dataset's lake asset: per partition, whether its files made it (steps/partition_status).

WARN by default, ERROR when the dataset declares `quarantine_check="error"`. Not blocking: quarantined files
still get their ledger rows in the warehouse step, so the reconcile sensor does not request them forever.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from order_pipeline.components.metadata import markdown_table
from order_pipeline.components.resources import SNSResource
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.layout import LakeLayout
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.lake.partition_status import PartitionStatus


def quarantine_check_name(dataset: Dataset) -> str:
    return f"{dataset.name}_files_not_quarantined"


def quarantine_check_spec(dataset: Dataset, lake_asset: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        quarantine_check_name(dataset),
        asset=lake_asset,
        description=(
            f"The partition's {dataset.name} files were not all quarantined, and the records lost to "
            f"rejects and quarantine stay within the dataset's limits ({dataset.max_bad_records} records, "
            f"{dataset.max_bad_ratio:.0%})."
        ),
    )


def quarantine_check_result(
    dataset: Dataset,
    layout: LakeLayout,
    partition: str,
    lake_asset: dg.AssetKey,
    status: PartitionStatus,
    notifier: SNSResource | None,
) -> dg.AssetCheckResult:
    """The check's result over every file of the partition (`status`: steps/lake/partition_status). A failure is
    also published (`check_failed`) through `notifier`, which the lake asset passes only when the run converted
    something: a re-run re-evaluates the check without announcing the same failure again."""
    location = layout.uri(layout.quarantine_folder(dataset.name, partition))
    severity = dg.AssetCheckSeverity.ERROR if dataset.quarantine_check == "error" else dg.AssetCheckSeverity.WARN
    metadata: dict[str, Any] = {
        "files": status.files,
        "files_loadable": status.files_loadable,
        "files_quarantined": status.files_quarantined,
        "files_ignored": status.files_ignored,
        "records": status.records,
        "records_rejected_or_quarantined": status.records_lost,
        "limits": f"{dataset.max_bad_records} records, {dataset.max_bad_ratio:.0%}",
        "quarantine_location": dg.MetadataValue.url(location),
        "reasons": markdown_table(
            ["file", "status", "reason"], [(r["file"], r["status"], r["reason"]) for r in status.reasons]
        ),
    }
    if status.failure:
        metadata["failure"] = status.failure
    if status.failure and notifier is not None:
        notifier.publish(
            PipelineEvent(
                "check_failed",
                dataset=dataset.name,
                partition=partition,
                asset=lake_asset.to_user_string(),
                details={
                    "check": quarantine_check_name(dataset),
                    "failure": status.failure,
                    "reasons": status.reasons,
                    "quarantine_location": location,
                },
            )
        )
    return dg.AssetCheckResult(
        check_name=quarantine_check_name(dataset),
        asset_key=lake_asset,
        passed=status.passed,
        severity=severity,
        metadata=metadata,
        description=status.failure or "files made it to the lake",
    )
