"""Asset keys and the project-wide run policies: decided here, once.

Keys mirror the data's layer (`raw/`, `lake/`, `warehouse/`, `analytics/`); the storage system goes in `kinds`.
A renamed key orphans its history in the UI — `unit/test_definitions.py` keeps a snapshot.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset

# Transient faults (S3 throttling, dropped connections, warehouse conflicts) get three more tries with
# exponential backoff and jitter; bad data never raises (it is quarantined), so it is never retried.
LOAD_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
WAREHOUSE_POOL = "warehouse"  # bounds concurrent loads: parallel partition runs queue instead of conflicting


def warehouse_freshness_policy(settings: Settings) -> dg.FreshnessPolicy:
    """Every table in the warehouse (loaded or derived): stale, and shown failing in the UI, when no run has
    refreshed it for `ORDER_PIPELINE_WAREHOUSE_FRESHNESS_HOURS` (the daemon evaluates it)."""
    return dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=settings.warehouse_freshness_hours))


def raw_key(dataset: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{dataset.name}_json"])


def lake_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["lake", f"{table}_parquet"])


def warehouse_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", table])


def derived_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["analytics", name])


def warehouse_kind(settings: Settings) -> str:
    return settings.warehouse


def job_name(dataset: Dataset) -> str:
    return f"{dataset.name}_load_job"
