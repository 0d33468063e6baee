"""The assets of a dataset declaration: raw (external) → lake (canonical Parquet) → warehouse tables.

Each asset body reads as three calls — run the step, report what happened, return the metadata — over the
Dagster-free steps in `order_pipeline.steps`. (No `from __future__ import annotations`: Dagster reads the
annotations of decorated functions at definition time.)
"""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.aws.cloudwatch_metrics import load_metrics
from order_pipeline.components.completeness_check import (
    completeness_check_result,
    completeness_check_spec,
    lag_metadata,
)
from order_pipeline.components.keys import lake_key, raw_key, warehouse_key
from order_pipeline.components.metadata import column_schema, lake_metadata, warehouse_metadata
from order_pipeline.components.policies import LOAD_RETRY_POLICY, WAREHOUSE_POOL
from order_pipeline.components.quarantine_checks import quarantine_check_result, quarantine_check_spec
from order_pipeline.components.reporting import report_conversions, report_converted_file, report_load
from order_pipeline.components.resources import CloudWatchMetricsResource, SNSResource
from order_pipeline.components.run_status import run_ended
from order_pipeline.components.warehouse_resource import WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.steps.lake.attempt_owner import current_owner
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.warehouse.completeness import check_completeness
from order_pipeline.warehouse.base import ClientTimeout


@dataclass(frozen=True)
class DatasetAssets:
    raw: dg.AssetSpec
    lake: dg.AssetsDefinition
    warehouse: dg.AssetsDefinition


def build_dataset_assets(
    dataset: Dataset, settings: Settings, partitions_def: dg.PartitionsDefinition
) -> DatasetAssets:
    raw = raw_spec(dataset, settings, partitions_def)
    return DatasetAssets(
        raw=raw,
        lake=lake_assets(dataset, settings, partitions_def, raw.key),
        warehouse=warehouse_assets(dataset, settings, partitions_def),
    )


def raw_spec(dataset: Dataset, settings: Settings, partitions_def: dg.PartitionsDefinition) -> dg.AssetSpec:
    location = settings.layout.uri(settings.layout.landing_root(dataset.name))
    return dg.AssetSpec(
        raw_key(dataset),
        group_name=dataset.group,
        owners=list(dataset.owners),
        kinds={"s3", "json"},
        partitions_def=partitions_def,
        description=f"{dataset.name} files landing in {location} (JSON, JSON Lines, gzipped or not, and Parquet). "
        "External: the lake step records each landed file version as an event of its partition.",
        metadata={"location": dg.MetadataValue.url(location)},
    )


def lake_assets(
    dataset: Dataset, settings: Settings, partitions_def: dg.PartitionsDefinition, raw: dg.AssetKey
) -> dg.AssetsDefinition:
    layout = settings.layout
    specs = [
        dg.AssetSpec(
            lake_key(table),
            deps=[raw],
            group_name=dataset.group,
            owners=list(dataset.owners),
            kinds={"s3", "parquet"},
            description=f"Canonical, validated Parquet of `{table}` per landing date "
            f"({layout.uri(layout.lake_folder(table, '…'))}).",
            metadata={"dagster/column_schema": column_schema(dataset.table_columns(table))},
        )
        for table in dataset.table_names
    ]

    @dg.multi_asset(
        name=f"lake_{dataset.name}",
        specs=specs,
        partitions_def=partitions_def,
        retry_policy=LOAD_RETRY_POLICY,
        check_specs=[quarantine_check_spec(dataset, specs[0].key)],
    )
    def lake(
        context: dg.AssetExecutionContext, s3: S3Resource, notifier: SNSResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        def report_file(converted: ConvertedFile) -> None:
            report_converted_file(
                context,
                notifier,
                dataset,
                raw,
                specs[0].key,
                context.partition_key,
                converted,
                settings.notify_raw_preview,
            )

        # the step modules (pyarrow, the conversion) load in the step, not with the code location (issue 24)
        from order_pipeline.steps.lake.convert_partition import convert_landing_date

        owner = current_owner(context.run.run_id, run_ended=lambda run_id: run_ended(context.instance, run_id))
        run = convert_landing_date(
            s3.get_client(),
            layout,
            dataset,
            context.partition_key,
            owner,
            settings.conversion_limits,
            on_converted=report_file,
        )
        report_conversions(context, raw, run)
        for table, spec in zip(dataset.table_names, specs, strict=True):
            yield dg.MaterializeResult(asset_key=spec.key, metadata=lake_metadata(dataset, table, layout, run))
        # a re-run re-evaluates the check without announcing the same failure again
        status = run.summary.status(dataset)
        yield quarantine_check_result(
            dataset, layout, run.partition, specs[0].key, status, notifier if run.converted_now else None
        )

    return lake


def warehouse_assets(
    dataset: Dataset, settings: Settings, partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            warehouse_key(table),
            deps=[lake_key(table)],
            group_name=dataset.group,
            owners=list(dataset.owners),
            kinds={settings.warehouse, "sql"},
            description=f"`{table}` in the warehouse, upserted on {', '.join(dataset.table_key(table))}; "
            "the latest version wins.",
            metadata={
                "dagster/column_schema": column_schema(dataset.table_columns(table)),
                "dagster/table_name": table,
            },
        )
        for table in dataset.table_names
    ]
    unique = dg.AssetCheckSpec(
        f"{dataset.name}_merge_key_unique",
        asset=specs[0].key,
        blocking=True,
        description=f"No two rows of {dataset.name} share a merge key ({', '.join(dataset.merge_key)}), among the "
        "keys this run merged (the full-table check runs on its own schedule).",
    )

    @dg.multi_asset(
        name=f"warehouse_{dataset.name}",
        specs=specs,
        partitions_def=partitions_def,
        retry_policy=LOAD_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        check_specs=[unique, completeness_check_spec(dataset, specs[0].key, settings.max_lag_minutes, partitions_def)],
    )
    def warehouse(
        context: dg.AssetExecutionContext,
        s3: S3Resource,
        warehouse: WarehouseResource,
        notifier: SNSResource,
        metrics: CloudWatchMetricsResource,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from order_pipeline.steps.warehouse.load_partition import load_landing_date  # in the step: see lake

        client = s3.get_client()
        last_attempt = context.retry_number >= LOAD_RETRY_POLICY.max_retries  # then isolate failing files
        try:
            with warehouse.connect(client) as db:
                run = load_landing_date(
                    client,
                    db,
                    settings.layout,
                    dataset,
                    context.partition_key,
                    context.run.run_id,
                    isolate_failures=last_attempt,
                    max_files=settings.max_files_per_batch,
                )
                completeness = check_completeness(
                    client,
                    db,
                    settings.layout,
                    dataset,
                    context.partition_key,
                    context.run.run_id,
                    min_age_seconds=settings.reconcile_min_age_seconds,
                    max_lag_seconds=settings.max_lag_minutes * 60,
                )
        except ClientTimeout as cut:  # the server may still run the statement: a retry would queue behind it
            raise dg.Failure(description=str(cut), allow_retries=False) from cut
        report_load(
            context,
            notifier,
            dataset,
            specs[0].key,
            run,
            run_url=f"{settings.ui_base_url}/runs/{context.run.run_id}",
            check_name=unique.name,
        )
        shown = lag_metadata(completeness)
        if metrics.enabled:  # after the load committed: a publish failure is shown, never fails the load
            published = metrics.publish(load_metrics(dataset.name, completeness.date, completeness.run_lag.max))
            shown["cloudwatch_metrics"] = published.text
            if published.failed:
                context.log.warning(f"CloudWatch metrics {published.text}")
        for table, spec in zip(dataset.table_names, specs, strict=True):
            yield dg.MaterializeResult(
                asset_key=spec.key, metadata={**warehouse_metadata(dataset, table, run), **shown}
            )
        yield completeness_check_result(dataset, settings.layout, client, specs[0].key, completeness, notifier)
        yield dg.AssetCheckResult(
            check_name=unique.name,
            asset_key=specs[0].key,
            passed=run.duplicate_keys == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"duplicate_keys": run.duplicate_keys, "keys_checked": run.load.total("merged_keys")},
        )

    return warehouse
