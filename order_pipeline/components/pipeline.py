"""The whole pipeline's definitions, in pieces: one `Definitions` per dataset declaration, the alerts, the
resources. `order_pipeline/defs/` deploys each piece from its own file; `build_definitions` merges them for
the headless commands and the tests — the same functions either way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from order_pipeline.components.dataset_assets import build_dataset_assets
from order_pipeline.components.derived_assets import build_derived_asset
from order_pipeline.components.full_checks import build_full_checks
from order_pipeline.components.keys import job_name
from order_pipeline.components.landing_sensors import build_landing_sensor, build_reconcile_sensor
from order_pipeline.components.partitions import landing_date_partitions
from order_pipeline.components.policies import with_warehouse_freshness
from order_pipeline.components.resources import build_resources
from order_pipeline.components.run_failure_alert import build_run_failure_alert
from order_pipeline.components.run_worker_watchdog import build_run_worker_watchdog
from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.registry import registered_datasets


def dataset_definitions(dataset: Dataset, settings: Settings) -> dg.Definitions:
    """A dataset's assets (raw → lake → warehouse → derived), its partition job, landing sensor and reconcile."""
    partitions_def = landing_date_partitions(settings.partition_start)
    built = build_dataset_assets(dataset, settings, partitions_def)
    tables = [built.warehouse, *(build_derived_asset(d, dataset, settings, partitions_def) for d in dataset.derived)]
    loaded = [built.lake, *with_warehouse_freshness(tables, settings)]
    # One process per run, its steps in sequence: three step processes, each importing Dagster, pyarrow and
    # DuckDB, cost more than the steps themselves on small dates. The `warehouse` pool still bounds
    # concurrent loads (the in-process executor claims pool slots per step, as the multiprocess one does).
    full = build_full_checks(dataset)
    # the full-table checks scan whole tables: their own job and schedule run them, never a partition's load
    selection = dg.AssetSelection.assets(*loaded) - dg.AssetSelection.checks(*full.checks)
    job = dg.define_asset_job(
        job_name(dataset),
        selection=selection,  # partitioned by its assets' partitions_def
        description=f"Convert, load and derive one landing date of {dataset.name}.",
        tags={"order_pipeline/dataset": dataset.name},
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=[built.raw, *loaded],
        asset_checks=full.checks,
        jobs=[job, full.job],
        schedules=[full.schedule],
        sensors=[
            build_landing_sensor(dataset, settings, job.name, name=dataset.landing_sensor_name),
            build_reconcile_sensor(dataset, settings, job.name, name=dataset.reconcile_sensor_name),
        ],
    )


def alert_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(sensors=[build_run_failure_alert(settings), build_run_worker_watchdog()])


def resource_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(resources=build_resources(settings))


def build_definitions(
    settings: Settings, datasets: Sequence[Dataset] | None = None, resources: Mapping[str, object] | None = None
) -> dg.Definitions:
    """Everything, merged: what `order_pipeline/defs/` deploys, for given datasets (default: every registered
    one, Python and YAML) and (test) resources."""
    if datasets is None:
        datasets = registered_datasets()
    return dg.Definitions.merge(
        *(dataset_definitions(dataset, settings) for dataset in datasets),
        alert_definitions(settings),
        dg.Definitions(resources=dict(resources)) if resources is not None else resource_definitions(settings),
    )
