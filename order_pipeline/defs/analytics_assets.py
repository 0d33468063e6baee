"""analytics/daily_order_summary: rebuilt in the warehouse from the latest version of every order."""

import time

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.config import Settings
from order_pipeline.datasets.orders_summary import DerivedTable
from order_pipeline.defs.dataset_assets import LOAD_RETRY_POLICY, WAREHOUSE_POOL, opened_warehouse, warehouse_key
from order_pipeline.defs.metadata import column_schema, markdown_table
from order_pipeline.defs.resources import SNSResource, WarehouseResource
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.warehouse_checks import row_count
from order_pipeline.warehouse.sql_names import quote_ident


def build_summary_asset(derived: DerivedTable, source_tables: tuple[str, ...], settings: Settings,
                        partitions_def: dg.PartitionsDefinition, *, group: str,
                        owners: tuple[str, ...]) -> dg.AssetsDefinition:
    key = dg.AssetKey(["analytics", derived.name])
    parent = source_tables[0]
    consistent = dg.AssetCheckSpec(f"{derived.name}_counts_every_order", asset=key,
                                   description=f"Σ order_count equals the number of rows in {parent}.")
    kind = "redshift" if settings.warehouse == "redshift" else "duckdb"

    @dg.asset(key=key, deps=[warehouse_key(t) for t in source_tables], partitions_def=partitions_def,
              group_name=group, owners=list(owners), kinds={kind, "sql"}, description=derived.description,
              retry_policy=LOAD_RETRY_POLICY, pool=WAREHOUSE_POOL, check_specs=[consistent],
              metadata={"dagster/column_schema": column_schema(derived.columns), "dagster/table_name": derived.name})
    def summary(context: dg.AssetExecutionContext, s3: S3Resource, warehouse: WarehouseResource,
                notifier: SNSResource):
        started = time.monotonic()
        with opened_warehouse(warehouse, s3.get_client()) as db:
            rows = db.rebuild_table(derived.name, derived.select_sql)
            counted = db.query(f"SELECT COALESCE(SUM(order_count), 0) FROM {quote_ident(derived.name)}")[0][0]
            orders = row_count(db, parent)
            recent = db.query(f"SELECT * FROM {quote_ident(derived.name)} ORDER BY 1 DESC LIMIT 10")
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": rows,
            "duration_seconds": round(time.monotonic() - started, 3),
            "preview": markdown_table([c.name for c in derived.columns], recent),
        })
        passed = int(counted) == int(orders)
        if not passed:
            notifier.publish(PipelineEvent("check_failed", partition=context.partition_key,
                                           asset=key.to_user_string(),
                                           details={"check": consistent.name, "summary_orders": int(counted),
                                                    "orders": int(orders)}))
        yield dg.AssetCheckResult(check_name=consistent.name, passed=passed, severity=dg.AssetCheckSeverity.WARN,
                                  metadata={"summary_orders": int(counted), "orders": int(orders)})

    return summary
