"""The definitions as Dagster loads them: keys, lineage, sensor, jobs (`dg` and the wheel: system/test_packaging.py)."""

from __future__ import annotations

import dagster as dg
import pytest

from order_pipeline.components.pipeline import build_definitions
from order_pipeline.config import load_settings
from order_pipeline_tests.support.definitions_snapshot import EXPECTED_KEYS


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    from order_pipeline.definitions import defs

    return defs().resolve_asset_graph()


def test_asset_keys_are_stable(graph):
    # a renamed key orphans its history in the UI: this snapshot guards them
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == EXPECTED_KEYS


def test_lineage_runs_raw_to_lake_to_warehouse_to_analytics(graph):
    def parents(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}

    assert parents("lake/orders_parquet") == {"raw/orders_json"}
    assert parents("lake/order_items_parquet") == {"raw/orders_json"}
    assert parents("warehouse/orders") == {"lake/orders_parquet"}
    assert parents("warehouse/order_items") == {"lake/order_items_parquet"}
    assert parents("analytics/daily_order_summary") == {"warehouse/orders", "warehouse/order_items"}


def test_every_asset_is_daily_partitioned_with_group_owner_and_kinds(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), key
        assert node.owners and node.group_name and node.kinds, key
        assert node.description, key


def test_sensor_runs_by_default_and_targets_the_load_job():
    defs = build_definitions(load_settings({}))
    sensor = defs.resolve_sensor_def("s3_order_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == "orders_load_job"
    assert defs.resolve_sensor_def("notify_run_failures").default_status == dg.DefaultSensorStatus.RUNNING


def test_redshift_setting_changes_kinds_not_keys():
    defs = build_definitions(
        load_settings(
            {
                "ORDER_PIPELINE_WAREHOUSE": "redshift",
                "ORDER_PIPELINE_REDSHIFT_HOST": "example.invalid",
                "ORDER_PIPELINE_REDSHIFT_USER": "loader",
                "ORDER_PIPELINE_REDSHIFT_COPY_IAM_ROLE": "arn:aws:iam::123456789012:role/copy",
            }
        )
    )
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == EXPECTED_KEYS
    assert "redshift" in graph.get(dg.AssetKey(["warehouse", "orders"])).kinds


def test_derived_tables_and_sensor_names_come_from_the_declaration_not_the_name():
    from order_pipeline.datasets.declaration import Column, Dataset

    other_orders = Dataset(
        name="orders",
        merge_key=("id",),
        version_column="v",
        event_time_column="at",
        columns=(
            Column("id", "int64", nullable=False),
            Column("v", "int64", nullable=False),
            Column("at", "timestamp", nullable=False),
        ),
    )
    defs = build_definitions(load_settings({}), datasets=(other_orders,))
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"raw/orders_json", "lake/orders_parquet", "warehouse/orders"}  # no order summary attached
    assert {s.name for s in defs.sensors} == {
        "notify_run_failures",
        "run_worker_watchdog",
        "s3_orders_files_sensor",
        "s3_orders_files_reconcile",
    }
