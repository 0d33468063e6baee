"""Single Dagster objects of a local pipeline (support/pipeline_harness.py), driven the way Dagster's own testing
API drives them: a sensor evaluated with `dg.build_sensor_context`, assets run with `dg.materialize`. The wiring
tier (order_pipeline_tests/wiring/) uses these; e2e/ drives the same objects through the headless sensor loop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import dagster as dg

from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.order_samples import jsonl_bytes
from order_pipeline_tests.support.pipeline_harness import LocalPipeline


def evaluate_sensor(pipeline: LocalPipeline, sensor_name: str, cursor: str | None) -> dg.SensorResult:
    """One tick of the named sensor of the pipeline's definitions, with their resources; nothing is run."""
    defs = pipeline.defs()
    context = dg.build_sensor_context(
        instance=pipeline.instance,
        cursor=cursor,
        definitions=defs,
        sensor_name=sensor_name,
        resources=dict(defs.resources or {}),
    )
    return defs.resolve_sensor_def(sensor_name).evaluate_tick(context)


def materialize_partition(
    pipeline: LocalPipeline, keys: Sequence[dg.AssetKey], partition: str
) -> dg.ExecuteInProcessResult:
    """`dg.materialize` of the assets defining `keys` (a multi-asset once, whichever of its keys is named), for one
    partition, on the pipeline's instance. Resolved from the definitions, the assets come bound to their resources."""
    defs = pipeline.defs()
    assets: list[dg.AssetsDefinition] = []
    for key in keys:
        assets_def = defs.resolve_assets_def(key)
        if assets_def not in assets:
            assets.append(assets_def)
    return dg.materialize(assets, partition_key=partition, instance=pipeline.instance)


def land_orders(pipeline: LocalPipeline, day: date, name: str, records: Sequence[dict[str, Any]]) -> str:
    """Orders as a JSON Lines file landed under `day`'s folder of the orders landing root; returns its key."""
    key = f"{pipeline.settings.landing_root(ORDERS.name)}{day:%Y/%m/%d}/{name}"
    pipeline.land(key, jsonl_bytes(list(records)))
    return key
