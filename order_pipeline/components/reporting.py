"""What the lake and warehouse steps tell: run logs, the raw asset's per-file events, and SNS notifications
(schema drift once per new field and dataset: the dataset's schema state remembers what was reported)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from order_pipeline.components.reject_summary import reject_summary
from order_pipeline.components.resources import SNSResource
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.lake_summary import LIST_LIMIT

if TYPE_CHECKING:  # the step modules import pyarrow: not loaded with the code location
    from order_pipeline.steps.lake.convert_partition import LakeRun
    from order_pipeline.steps.warehouse.load_partition import WarehouseRun


def report_conversions(context: dg.AssetExecutionContext, raw: dg.AssetKey, run: LakeRun) -> None:
    """The run's one observation of the raw asset: the UI's "Latest event" of an external asset is its latest
    observation. Its list of URIs is the first LIST_LIMIT, beside the count."""
    if run.converted_now:
        context.log_event(
            dg.AssetObservation(
                asset_key=raw,
                partition=run.partition,
                description=f"{run.converted_now} newly landed files",
                metadata={
                    "files": run.converted_now,
                    "uris": dg.MetadataValue.json(run.summary.newly_landed[:LIST_LIMIT]),
                },
            )
        )


def report_converted_file(
    context: dg.AssetExecutionContext,
    notifier: SNSResource,
    dataset: Dataset,
    raw: dg.AssetKey,
    lake: dg.AssetKey,
    partition: str,
    converted: ConvertedFile,
    raw_preview: bool = False,
) -> None:
    """One raw-asset event for a newly landed file version (the raw asset's partitions fill as files land), and
    its notifications (schema drift, quarantine, rejected records); called as each file is converted.
    `raw_preview`: ORDER_PIPELINE_NOTIFY_RAW_PREVIEW (reject_summary)."""
    source = converted.source
    publish_drift(notifier, dataset, partition, lake.to_user_string(), converted)
    context.log_event(
        dg.AssetMaterialization(
            asset_key=raw,
            partition=partition,
            description="file landed",
            metadata={
                "uri": dg.MetadataValue.url(source.uri),
                "etag": source.etag,
                "size_bytes": source.size,
                "last_modified": source.last_modified.isoformat(),
                "conversion": converted.status,
            },
        )
    )
    if converted.status == "ignored":
        context.log.info(converted.error or f"ignored {source.uri}")
    elif converted.status == "rejected":
        context.log.warning(f"quarantined {source.uri}: {converted.error}")
        notifier.publish(
            PipelineEvent(
                "file_quarantined",
                dataset=dataset.name,
                partition=partition,
                asset=lake.to_user_string(),
                details={"file": source.uri, "reason": converted.error, "quarantined_to": converted.quarantine_uri},
            )
        )
    elif converted.rejected_records:
        context.log.warning(f"{converted.rejected_records} records of {source.uri} rejected")
        notifier.publish(
            PipelineEvent(
                "records_rejected",
                dataset=dataset.name,
                partition=partition,
                asset=lake.to_user_string(),
                details={
                    "file": source.uri,
                    "rejected_records": converted.rejected_records,
                    "rejects": converted.rejects_uri,
                    "first_rejects": [reject_summary(r, dataset, raw_preview) for r in converted.first_rejects[:3]],
                },
            )
        )


def report_load(
    context: dg.AssetExecutionContext,
    notifier: SNSResource,
    dataset: Dataset,
    target: dg.AssetKey,
    run: WarehouseRun,
    *,
    run_url: str,
    check_name: str,
) -> None:
    """The load's notifications: dead letters, the partition loaded, a failed merge-key check."""
    plan, asset = run.load, target.to_user_string()
    for version in plan.not_converted:
        context.log.info(f"{version.uri} landed after the lake step; the next run loads it")
    if plan.not_converted_total > len(plan.not_converted):
        context.log.info(f"{plan.not_converted_total} files in all landed after the lake step")
    for converted, error in plan.dead_lettered:
        notifier.publish(
            PipelineEvent(
                "file_dead_lettered",
                dataset=dataset.name,
                partition=run.partition,
                asset=asset,
                details={"file": converted.source.uri, "error": error},
            )
        )
    if plan.files_pending:
        notifier.publish(
            PipelineEvent(
                "partition_loaded",
                dataset=dataset.name,
                partition=run.partition,
                asset=asset,
                details={
                    "files": plan.sources[:LIST_LIMIT],  # the first LIST_LIMIT
                    "files_loaded": plan.files_loaded,
                    "rows_inserted": plan.total("inserted"),
                    "rows_updated": plan.total("updated"),
                    "stale_rows_skipped": plan.total("stale"),
                    "child_rows": plan.child_rows(),
                    "files_dead_lettered": len(plan.dead_lettered),
                    "seconds": run.seconds,
                    "run_url": run_url,
                },
            )
        )
    if run.duplicate_keys:
        notifier.publish(
            PipelineEvent(
                "check_failed",
                dataset=dataset.name,
                partition=run.partition,
                asset=asset,
                details={"check": check_name, "duplicate_keys": run.duplicate_keys},
            )
        )


def publish_drift(
    notifier: SNSResource, dataset: Dataset, partition: str, asset: str, converted: ConvertedFile
) -> None:
    """The fields this file was the first to show, once per field and dataset (the first LIST_LIMIT named, the
    rest counted); the columns refused over ORDER_PIPELINE_MAX_EVOLVED_COLUMNS among them, by name; and, from the
    one file that filled the schema state, how many fields it could not keep (later ones are counted in metadata)."""
    if not converted.drift_reported and not converted.drift_state_filled:
        return
    refused = [path for path, why in converted.drift_notes.items() if "MAX_EVOLVED_COLUMNS" in why]
    details: dict[str, object] = {"file": converted.source.uri, "new_columns": dataset.new_columns}
    if len(converted.drift_reported) > LIST_LIMIT:
        details["more_fields"] = len(converted.drift_reported) - LIST_LIMIT
    if refused:
        details["columns_refused"] = {
            "count": len(refused),
            "fields": refused[:LIST_LIMIT],
            "why": converted.drift_notes[refused[0]],
        }
    if converted.drift_state_filled:
        details["fields_not_tracked"] = {
            "count": converted.drift_untracked,
            "why": "the dataset's schema state holds ORDER_PIPELINE_MAX_DRIFT_PATHS fields: further new fields "
            "are counted in the lake asset's metadata, not kept or notified",
        }
    fields = [
        {
            "field": path,
            "type": converted.undeclared.get(path, ""),
            "column_added": path in converted.evolved,
            **({"not_added": converted.drift_notes[path]} if path in converted.drift_notes else {}),
        }
        for path in converted.drift_reported[:LIST_LIMIT]
    ]
    notifier.publish(
        PipelineEvent(
            "schema_drift",
            dataset=dataset.name,
            partition=partition,
            asset=asset,
            details={**details, "fields": fields},
        )
    )
