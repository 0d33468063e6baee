"""The project-wide run policies: retries, the warehouse pool, freshness. Decided here, once."""

from __future__ import annotations

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
