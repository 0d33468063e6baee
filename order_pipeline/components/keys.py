"""Asset keys and job names: decided here, once (the run policies are in `policies.py`).

Keys mirror the data's layer (`raw/`, `lake/`, `warehouse/`, `analytics/`); the storage system goes in `kinds`.
A renamed key orphans its history in the UI — `unit/test_definitions.py` keeps a snapshot.
"""

from __future__ import annotations

import dagster as dg

from order_pipeline.datasets.declaration import Dataset


def raw_key(dataset: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{dataset.name}_json"])


def lake_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["lake", f"{table}_parquet"])


def warehouse_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", table])


def derived_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["analytics", name])


def job_name(dataset: Dataset) -> str:
    return f"{dataset.name}_load_job"
