"""The project-wide run policies: retries, the warehouse pool, freshness. Decided here, once.

Freshness is applied where a dataset's definitions are assembled (`with_warehouse_freshness`, called by
`pipeline.dataset_definitions` over its warehouse and derived tables). Retries and the pool stay on the asset
decorators: Dagster 1.13 holds both on the op, and neither `AssetsDefinition.with_attributes` nor
`map_asset_specs` can set them afterwards (an AssetSpec has no retry policy or pool).
`define_asset_job(op_retry_policy=...)` would cover only runs of that job, not the UI's ad-hoc materializations and
asset backfills (the implicit asset job), and no job or Definitions setting gives a pool. `unit/test_policies.py`
asserts every dataset's assets carry all three."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

from order_pipeline.config import Settings

# Transient faults (S3 throttling, dropped connections, warehouse conflicts) get three more tries with
# exponential backoff and jitter; bad data never raises (it is quarantined), so it is never retried.
LOAD_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
WAREHOUSE_POOL = "warehouse"  # bounds concurrent loads: parallel partition runs queue instead of conflicting


def warehouse_freshness_policy(settings: Settings) -> dg.FreshnessPolicy:
    """Every table in the warehouse (loaded or derived): stale, and shown failing in the UI, when no run has
    refreshed it for `ORDER_PIPELINE_WAREHOUSE_FRESHNESS_HOURS` (the daemon evaluates it)."""
    return dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=settings.warehouse_freshness_hours))


def with_warehouse_freshness(tables: Sequence[dg.AssetsDefinition], settings: Settings) -> list[dg.AssetsDefinition]:
    """`tables` (a dataset's loaded and derived warehouse tables) with the warehouse freshness policy on every spec.
    (`dg.map_asset_specs`: public; `Definitions.map_asset_specs` is a preview API in 1.13.)"""
    policy = warehouse_freshness_policy(settings)
    return list(dg.map_asset_specs(lambda spec: spec.replace_attributes(freshness_policy=policy), tables))
