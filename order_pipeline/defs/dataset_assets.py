"""The assets factory: raw → lake → warehouse assets for any dataset declaration. Thin wiring over `steps`."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.defs.metadata import column_schema, markdown_table
from order_pipeline.defs.quarantine_checks import quarantine_check_result, quarantine_check_spec
from order_pipeline.defs.resources import SNSResource, WarehouseResource
from order_pipeline.defs.schema_drift import drift_metadata, publish_drift
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.convert_partition import convert_partition
from order_pipeline.steps.load_partition import load_partition
from order_pipeline.steps.warehouse_checks import duplicate_key_count, row_count
from order_pipeline.warehouse.base import Warehouse

# Transient faults (S3 throttling, dropped connections, warehouse conflicts) get three more tries with
# exponential backoff and jitter; bad data never raises here (it is quarantined), so it is never retried.
LOAD_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
WAREHOUSE_POOL = "warehouse"  # bounds concurrent loads: parallel partition runs queue instead of conflicting


def raw_key(dataset: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{dataset.name}_json"])


def lake_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["lake", f"{table}_parquet"])


def warehouse_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", table])


@contextmanager
def opened_warehouse(resource: WarehouseResource, s3_client: Any, *,
                     wait_seconds: float | None = None) -> Iterator[Warehouse]:
    db = resource.open(s3_client, wait_seconds=wait_seconds)
    try:
        yield db
    finally:
        db.close()


@dataclass(frozen=True)
class DatasetAssets:
    dataset: Dataset
    raw: dg.AssetSpec
    lake: dg.AssetsDefinition
    warehouse: dg.AssetsDefinition

    @property
    def all(self) -> list[dg.AssetSpec | dg.AssetsDefinition]:
        return [self.raw, self.lake, self.warehouse]


def build_dataset_assets(dataset: Dataset, settings: Settings,
                         partitions_def: dg.PartitionsDefinition) -> DatasetAssets:
    group = dataset.group_name or dataset.name
    owners = list(dataset.owners)
    landing_root = settings.landing_root(dataset.name)
    warehouse_kind = "redshift" if settings.warehouse == "redshift" else "duckdb"

    raw = dg.AssetSpec(
        raw_key(dataset), group_name=group, owners=owners, kinds={"s3", "json"}, partitions_def=partitions_def,
        description=f"{dataset.name} files landing in s3://{settings.bucket}/{landing_root} (JSON, JSON Lines, "
                    "gzipped or not, and Parquet). External: the S3 sensor records each new file as an event.",
        metadata={"location": dg.MetadataValue.url(f"s3://{settings.bucket}/{landing_root}")},
    )

    lake_specs = [
        dg.AssetSpec(lake_key(table), deps=[raw.key], group_name=group, owners=owners, kinds={"s3", "parquet"},
                     description=f"Canonical, validated Parquet of `{table}` per landing date "
                                 f"(s3://{settings.bucket}/{settings.lake_prefix}/{table}/dt=…/).",
                     metadata={"dagster/column_schema": column_schema(dataset.table_columns(table))})
        for table in dataset.table_names
    ]

    @dg.multi_asset(name=f"lake_{dataset.name}", specs=lake_specs, partitions_def=partitions_def,
                    retry_policy=LOAD_RETRY_POLICY, check_specs=[quarantine_check_spec(dataset, lake_specs[0].key)])
    def lake_assets(context: dg.AssetExecutionContext, s3: S3Resource, notifier: SNSResource):
        started = time.monotonic()
        partition = context.partition_key
        client = s3.get_client()
        files = list_landing_day(client, settings.bucket, landing_root, date.fromisoformat(partition))
        records, converted_now = [], 0
        for converted, now in convert_partition(client, settings, dataset, partition, files):
            records.append(converted)
            if not now:
                continue
            converted_now += 1
            publish_drift(notifier, dataset, partition, lake_specs[0].key.to_user_string(), converted)
            # the raw asset is external: each landed file version shows as one event of its partition, once
            context.log_event(dg.AssetMaterialization(
                asset_key=raw.key, partition=partition, description="file landed",
                metadata={"uri": dg.MetadataValue.url(converted.source.uri), "etag": converted.source.etag,
                          "size_bytes": converted.source.size,
                          "last_modified": converted.source.last_modified.isoformat(),
                          "conversion": converted.status}))
            if converted.status == "ignored":
                context.log.info(converted.error or f"ignored {converted.source.uri}")
            elif converted.status == "rejected":
                context.log.warning(f"quarantined {converted.source.uri}: {converted.error}")
                notifier.publish(PipelineEvent(
                    "file_quarantined", dataset=dataset.name, partition=partition,
                    asset=lake_specs[0].key.to_user_string(),
                    details={"file": converted.source.uri, "reason": converted.error,
                             "quarantined_to": converted.quarantine_uri}))
            elif converted.rejected_records:
                context.log.warning(f"{converted.rejected_records} records of {converted.source.uri} rejected")
                notifier.publish(PipelineEvent(
                    "records_rejected", dataset=dataset.name, partition=partition,
                    asset=lake_specs[0].key.to_user_string(),
                    details={"file": converted.source.uri, "rejected_records": converted.rejected_records,
                             "rejects": converted.rejects_uri, "first_rejects": converted.first_rejects[:3]}))
        seconds = round(time.monotonic() - started, 3)
        quarantined = [r for r in records if r.status == "rejected"]
        for table, spec in zip(dataset.table_names, lake_specs, strict=True):
            drift = drift_metadata(records) if table == dataset.name else {}
            yield dg.MaterializeResult(asset_key=spec.key, metadata={**drift,
                "dagster/row_count": sum(r.rows.get(table, 0) for r in records),
                "files": len(records),
                "files_quarantined": len(quarantined),
                "files_ignored": sum(r.status == "ignored" for r in records),
                "records_rejected": sum(r.rejected_records for r in records),
                "location": dg.MetadataValue.url(
                    f"s3://{settings.bucket}/{settings.lake_key(table, partition, '')}"),
                "parts": dg.MetadataValue.json([r.parts.get(table) for r in records if r.parts.get(table)]),
                "duration_seconds": seconds,
                "files_processed": markdown_table(
                    ["file", "status", "records", "rows", "rejected"],
                    [(r.source.key, r.status, r.total_records, r.rows.get(table, 0), r.rejected_records)
                     for r in records]),
            })
        yield quarantine_check_result(dataset, settings, partition, lake_specs[0].key, records,
                                      notifier if converted_now else None)

    warehouse_specs = [
        dg.AssetSpec(warehouse_key(table), deps=[lake_key(table)], group_name=group, owners=owners,
                     kinds={warehouse_kind, "sql"},
                     description=f"`{table}` in the warehouse, upserted on {', '.join(dataset.table_key(table))}; "
                                 "the latest version wins.",
                     metadata={"dagster/column_schema": column_schema(dataset.table_columns(table)),
                               "dagster/table_name": table})
        for table in dataset.table_names
    ]
    merge_key_check = dg.AssetCheckSpec(
        f"{dataset.name}_merge_key_unique", asset=warehouse_specs[0].key, blocking=True,
        description=f"No two rows of {dataset.name} share a merge key ({', '.join(dataset.merge_key)}).")

    @dg.multi_asset(name=f"warehouse_{dataset.name}", specs=warehouse_specs, partitions_def=partitions_def,
                    retry_policy=LOAD_RETRY_POLICY, pool=WAREHOUSE_POOL, check_specs=[merge_key_check])
    def warehouse_assets(context: dg.AssetExecutionContext, s3: S3Resource, warehouse: WarehouseResource,
                         notifier: SNSResource):
        started = time.monotonic()
        partition = context.partition_key
        client = s3.get_client()
        files = list_landing_day(client, settings.bucket, landing_root, date.fromisoformat(partition))
        last_attempt = context.retry_number >= LOAD_RETRY_POLICY.max_retries
        with opened_warehouse(warehouse, client) as db:
            plan = load_partition(client, db, settings, dataset, partition, context.run_id, files,
                                  isolate_failures=last_attempt)
            duplicates = duplicate_key_count(db, dataset)
            table_rows = {table: row_count(db, table) for table in dataset.table_names}
        seconds = round(time.monotonic() - started, 3)
        for version in plan.not_converted:
            context.log.info(f"{version.uri} landed after the lake step; the next run loads it")
        for converted, error in plan.dead_lettered:
            notifier.publish(PipelineEvent("file_dead_lettered", dataset=dataset.name, partition=partition,
                                           asset=warehouse_specs[0].key.to_user_string(),
                                           details={"file": converted.source.uri, "error": error}))
        inserted, updated = plan.total("inserted"), plan.total("updated")
        child_rows = plan.child_rows()
        loaded_files = [f for f in plan.loaded_files if f.status != "rejected"]
        if plan.pending:
            notifier.publish(PipelineEvent(
                "partition_loaded", dataset=dataset.name, partition=partition,
                asset=warehouse_specs[0].key.to_user_string(),
                details={"files": [f.source.uri for f in loaded_files], "rows_inserted": inserted,
                         "rows_updated": updated, "stale_rows_skipped": plan.total("stale"),
                         "child_rows": child_rows, "files_dead_lettered": len(plan.dead_lettered),
                         "seconds": seconds, "run_url": f"{settings.ui_base_url}/runs/{context.run_id}"}))
        for table, spec in zip(dataset.table_names, warehouse_specs, strict=True):
            metadata = {
                "dagster/row_count": table_rows[table],
                "dagster/column_schema": column_schema((plan.dataset or dataset).table_columns(table)),
                "files_loaded": len(loaded_files),
                "files_pending_conversion": len(plan.not_converted),
                "files_dead_lettered": len(plan.dead_lettered),
                "duration_seconds": seconds,
                "sources": dg.MetadataValue.json([f.source.uri for f in loaded_files]),
            }
            if table == dataset.name:
                metadata.update({"rows_inserted": inserted, "rows_updated": updated,
                                 "stale_rows_skipped": plan.total("stale")})
            else:
                metadata["rows_written"] = child_rows.get(table, 0)
            yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
        passed = duplicates == 0
        if not passed:
            notifier.publish(PipelineEvent("check_failed", dataset=dataset.name, partition=partition,
                                           asset=warehouse_specs[0].key.to_user_string(),
                                           details={"check": merge_key_check.name, "duplicate_keys": duplicates}))
        yield dg.AssetCheckResult(check_name=merge_key_check.name, asset_key=warehouse_specs[0].key,
                                  passed=passed, severity=dg.AssetCheckSeverity.ERROR,
                                  metadata={"duplicate_keys": duplicates})

    return DatasetAssets(dataset=dataset, raw=raw, lake=lake_assets, warehouse=warehouse_assets)
