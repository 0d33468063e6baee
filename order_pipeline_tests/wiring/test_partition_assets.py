"""The lake and warehouse assets as Dagster objects: `dg.materialize` of one landing date on the local endpoint and
DuckDB, no sensor (e2e/ runs the same assets through the sensor's runs). What each asset reports is read from the
run's own events: the raw asset's one event per landed file version, the lake's and the warehouse's metadata, the
checks."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from order_pipeline.components.keys import lake_key, raw_key, warehouse_key
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import order
from order_pipeline_tests.support.wiring import land_orders, materialize_partition

DAY = datetime.now(timezone.utc).date()
PARTITION = DAY.isoformat()
ITEMS_PER_ORDER = len(order(1)["items"])


def materializations(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> list[dg.AssetMaterialization]:
    return [event.materialization for event in result.get_asset_materialization_events() if event.asset_key == key]


def observations(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> list[dg.AssetObservation]:
    return [
        event.asset_observation_data.asset_observation
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION
        and event.asset_observation_data.asset_observation.asset_key == key
    ]


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}


def test_the_lake_asset_shows_each_landed_file_as_a_raw_event_in_its_partition_and_counts_them(pipeline):
    keys = [
        land_orders(pipeline, DAY, "a.jsonl", [order(1), order(2)]),
        land_orders(pipeline, DAY, "b.jsonl", [order(3)]),
    ]

    result = materialize_partition(pipeline, [lake_key(ORDERS.name)], PARTITION)

    assert result.success
    raw = materializations(result, raw_key(ORDERS))
    bucket = pipeline.settings.bucket
    assert sorted((event.partition, event.metadata["uri"].value) for event in raw) == [
        (PARTITION, f"s3://{bucket}/{key}") for key in sorted(keys)
    ]
    assert {event.description for event in raw} == {"file landed"}
    (seen,) = observations(result, raw_key(ORDERS))  # the run's one observation: the raw asset's latest event
    assert seen.partition == PARTITION and seen.metadata["files"].value == 2

    (lake,) = materializations(result, lake_key(ORDERS.name))
    assert lake.partition == PARTITION
    metadata = {name: value.value for name, value in lake.metadata.items()}
    assert (metadata["files"], metadata["files_converted_now"], metadata["files_quarantined"]) == (2, 2, 0)
    assert metadata["dagster/row_count"] == 3 and metadata["records_rejected"] == 0
    (items,) = materializations(result, lake_key("order_items"))
    assert items.metadata["dagster/row_count"].value == 3 * ITEMS_PER_ORDER
    assert all(checks(result).values()) and checks(result)


def test_lake_and_warehouse_of_one_date_load_it_and_a_second_materialization_finds_nothing_new(pipeline):
    land_orders(pipeline, DAY, "a.jsonl", [order(1), order(2)])
    land_orders(pipeline, DAY, "b.jsonl", [order(3)])
    assets = [lake_key(ORDERS.name), warehouse_key(ORDERS.name)]

    first = materialize_partition(pipeline, assets, PARTITION)

    assert first.success
    (orders,) = materializations(first, warehouse_key(ORDERS.name))
    metadata = {name: value.value for name, value in orders.metadata.items()}
    assert (metadata["files_loaded"], metadata["rows_inserted"], metadata["rows_updated"]) == (2, 3, 0)
    assert metadata["dagster/row_count"] == 3 and metadata["files_dead_lettered"] == 0
    (items,) = materializations(first, warehouse_key("order_items"))
    assert items.metadata["dagster/row_count"].value == items.metadata["rows_written"].value == 3 * ITEMS_PER_ORDER
    assert checks(first)[f"{ORDERS.name}_merge_key_unique"] and all(checks(first).values())
    assert pipeline.query('SELECT COUNT(*) FROM "orders"') == [(3,)]

    again = materialize_partition(pipeline, assets, PARTITION)

    assert again.success
    assert materializations(again, raw_key(ORDERS)) == [] and observations(again, raw_key(ORDERS)) == []
    (lake,) = materializations(again, lake_key(ORDERS.name))
    assert lake.metadata["files"].value == 2 and lake.metadata["files_converted_now"].value == 0
    (orders,) = materializations(again, warehouse_key(ORDERS.name))
    assert orders.metadata["files_loaded"].value == 0 and orders.metadata["dagster/row_count"].value == 3
    assert pipeline.query('SELECT COUNT(*) FROM "orders"') == [(3,)]
