"""Assemble the Definitions from settings: one assets group, job and sensor per dataset declaration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.config import Settings
from order_pipeline.datasets import DATASETS
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.defs.alerts import build_run_failure_alert
from order_pipeline.defs.analytics_assets import build_derived_asset
from order_pipeline.defs.dataset_assets import build_dataset_assets
from order_pipeline.defs.partitions import landing_date_partitions
from order_pipeline.defs.resources import DuckDBWarehouseResource, SNSResource, SQSResource, WarehouseResource
from order_pipeline.defs.sensors import build_landing_sensor, build_reconcile_sensor
from order_pipeline.warehouse.base import Warehouse


def warehouse_resource(settings: Settings) -> WarehouseResource:
    if settings.warehouse == "redshift":
        from order_pipeline.defs.redshift_resource import redshift_resource_from_settings

        return redshift_resource_from_settings(settings)
    return DuckDBWarehouseResource(path=str(settings.duckdb_path))


def open_warehouse(settings: Settings, s3_client: Any) -> Warehouse:
    """The configured warehouse for code outside a run (demo, tests): EnvVar secrets resolved as in a run."""
    return warehouse_resource(settings).process_config_and_initialize().open(s3_client)


def build_resources(settings: Settings) -> dict[str, object]:
    return {
        "s3": S3Resource(region_name=settings.region, max_attempts=5),
        "notifier": SNSResource(topic_arn=settings.sns_topic_arn, region_name=settings.region),
        "queue": SQSResource(region_name=settings.region, max_attempts=5),
        "warehouse": warehouse_resource(settings),
    }


def job_name(dataset: Dataset) -> str:
    return f"{dataset.name}_load_job"


def build_definitions(settings: Settings, datasets: Sequence[Dataset] = DATASETS,
                      resources: dict[str, object] | None = None) -> dg.Definitions:
    partitions_def = landing_date_partitions(settings.partition_start)
    assets: list[dg.AssetSpec | dg.AssetsDefinition] = []
    jobs: list[dg.UnresolvedAssetJobDefinition] = []
    sensors: list[dg.SensorDefinition] = [build_run_failure_alert(settings)]
    for dataset in datasets:
        built = build_dataset_assets(dataset, settings, partitions_def)
        dataset_assets: list[dg.AssetSpec | dg.AssetsDefinition] = [built.lake, built.warehouse]
        dataset_assets.extend(build_derived_asset(derived, dataset, settings, partitions_def)
                              for derived in dataset.derived)
        job = dg.define_asset_job(
            job_name(dataset), selection=dg.AssetSelection.assets(*dataset_assets), partitions_def=partitions_def,
            description=f"Convert, load and summarise one landing date of {dataset.name}.",
            tags={"order_pipeline/dataset": dataset.name})
        assets.extend([built.raw, *dataset_assets])
        jobs.append(job)
        sensors.append(build_landing_sensor(dataset, settings, job.name, name=dataset.landing_sensor_name))
        sensors.append(build_reconcile_sensor(dataset, settings, job.name, name=dataset.reconcile_sensor_name))
    return dg.Definitions(assets=assets, jobs=jobs, sensors=sensors,
                          resources=resources if resources is not None else build_resources(settings))
