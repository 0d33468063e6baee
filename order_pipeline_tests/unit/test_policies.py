"""The run policies of `components/policies.py` on every dataset's assets, as Dagster loads them: retries on each
step that computes, the `warehouse` pool on each step that writes the warehouse, freshness on each warehouse table
(loaded or derived: applied where a dataset's definitions are assembled)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest

from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.policies import LOAD_RETRY_POLICY, WAREHOUSE_POOL
from order_pipeline.config import load_settings
from order_pipeline.datasets.registry import registered_datasets
from order_pipeline_tests.support.customers import CUSTOMERS
from order_pipeline_tests.support.shipments import shipments_dataset

SETTINGS = load_settings({"ORDER_PIPELINE_WAREHOUSE_FRESHNESS_HOURS": "5"})


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    """Every registered dataset, a second Python declaration and the YAML feed."""
    datasets = [*registered_datasets(), CUSTOMERS, shipments_dataset()]
    return build_definitions(SETTINGS, datasets).resolve_asset_graph()


def layer(key: dg.AssetKey) -> str:
    return key.path[0]


def test_every_computed_asset_retries_with_the_load_policy(graph):
    computed = [key for key in graph.get_all_asset_keys() if layer(key) != "raw"]
    assert {layer(key) for key in computed} == {"lake", "warehouse", "analytics"}
    for key in computed:
        assert graph.get(key).assets_def.op.retry_policy == LOAD_RETRY_POLICY, key


def test_every_warehouse_writer_takes_the_warehouse_pool_and_the_lake_does_not(graph):
    for key in graph.get_all_asset_keys():
        if layer(key) in ("warehouse", "analytics"):
            assert graph.get(key).assets_def.op.pool == WAREHOUSE_POOL, key
        elif layer(key) == "lake":
            assert graph.get(key).assets_def.op.pool is None, key  # conversions run side by side


def test_every_warehouse_table_of_every_dataset_has_the_freshness_policy(graph):
    keys = graph.get_all_asset_keys()
    assert {"warehouse/orders", "warehouse/customers", "analytics/daily_order_summary"} <= {
        key.to_user_string() for key in keys
    }
    for key in keys:
        policy = graph.get(key).freshness_policy
        if layer(key) in ("warehouse", "analytics"):
            assert policy.fail_window.to_timedelta() == timedelta(hours=5), key
        else:
            assert policy is None, key  # raw and lake: no promise
