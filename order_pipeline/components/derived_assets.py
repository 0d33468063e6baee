"""A dataset's derived tables (e.g. analytics/daily_order_summary): after each load, the groups its loads touched
are replaced in place (warehouse/sql_derived.py), with the consistency check the declaration states over them."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.components.keys import derived_key, warehouse_key
from order_pipeline.components.metadata import column_schema, markdown_table
from order_pipeline.components.policies import LOAD_RETRY_POLICY, WAREHOUSE_POOL
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
        metadata={"dagster/column_schema": column_schema(derived.columns), "dagster/table_name": derived.name},
    )
    def derived_table(
        context: dg.AssetExecutionContext, s3: S3Resource, warehouse: WarehouseResource, notifier: SNSResource
    ):
        with warehouse.connect(s3.get_client()) as db:
            db.ensure_tables(dataset)  # a derived step run on its own, before any load, finds its tables
            refresh = db.refresh_derived(dataset, derived)
            recent = db.query(f"SELECT * FROM {quote_ident(derived.name)} ORDER BY 1 DESC LIMIT 10")
        groups = [str(g) for g in refresh.groups]
        yield dg.MaterializeResult(
            metadata={
                "refresh": "full rebuild" if refresh.full else "groups touched by loads",
                "groups_refreshed": len(groups),
                "groups": groups[:50],
                "rows_written": refresh.rows,
                "duration_seconds": round(refresh.seconds, 3),
                "preview": markdown_table([c.name for c in derived.columns], recent),
            }
        )
        if derived.check is None:
            return
        # scoped to the groups this refresh wrote (nothing written: nothing to disprove); the full-table
        # version of the check runs on its own schedule
        figures = (
            {label: int(value) for label, value in zip(derived.check.labels, refresh.check, strict=True)}
            if refresh.check is not None
            else {label: 0 for label in derived.check.labels}
        )
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
            check_name=derived.check.name,
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={**figures, "groups_checked": len(groups) if not refresh.full else "all"},
        )

    return derived_table
