"""A dataset's derived tables (e.g. analytics/daily_order_summary): rebuilt in the warehouse after each load,
with the consistency check the declaration states."""

import time

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.components.keys import derived_key, warehouse_key
from order_pipeline.components.metadata import column_schema, markdown_table
from order_pipeline.components.policies import LOAD_RETRY_POLICY, WAREHOUSE_POOL, warehouse_freshness_policy
from order_pipeline.components.resources import SNSResource
from order_pipeline.components.warehouse_resource import WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset, DerivedTable
from order_pipeline.notifications import PipelineEvent
from order_pipeline.warehouse.sql_names import quote_ident


def build_derived_asset(
    derived: DerivedTable,
    dataset: Dataset,
    settings: Settings,
    partitions_def: dg.PartitionsDefinition,
    *,
    group: str = "analytics",
) -> dg.AssetsDefinition:
    key = derived_key(derived.name)
    checks = (
        [dg.AssetCheckSpec(derived.check.name, asset=key, description=derived.check.description)]
        if derived.check
        else []
    )

    @dg.asset(
        key=key,
        deps=[warehouse_key(t) for t in dataset.table_names],
        partitions_def=partitions_def,
        group_name=group,
        owners=list(dataset.owners),
        kinds={settings.warehouse, "sql"},
        description=derived.description,
        retry_policy=LOAD_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        check_specs=checks,
        freshness_policy=warehouse_freshness_policy(settings),
        metadata={"dagster/column_schema": column_schema(derived.columns), "dagster/table_name": derived.name},
    )
    def derived_table(
        context: dg.AssetExecutionContext, s3: S3Resource, warehouse: WarehouseResource, notifier: SNSResource
    ):
        started = time.monotonic()
        with warehouse.connect(s3.get_client()) as db:
            rows = db.rebuild_table(derived.name, derived.select_sql)
            observed = db.query(derived.check.sql)[0] if derived.check else None
            recent = db.query(f"SELECT * FROM {quote_ident(derived.name)} ORDER BY 1 DESC LIMIT 10")
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "duration_seconds": round(time.monotonic() - started, 3),
                "preview": markdown_table([c.name for c in derived.columns], recent),
            }
        )
        if derived.check is None or observed is None:
            return
        figures = {label: int(value) for label, value in zip(derived.check.labels, observed, strict=True)}
        passed = len(set(figures.values())) == 1
        if not passed:
            notifier.publish(
                PipelineEvent(
                    "check_failed",
                    dataset=dataset.name,
                    partition=context.partition_key,
                    asset=key.to_user_string(),
                    details={"check": derived.check.name, **figures},
                )
            )
        yield dg.AssetCheckResult(
            check_name=derived.check.name, passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata=figures
        )

    return derived_table
