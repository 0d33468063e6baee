"""Steps 2-6 of a load, run in order through a backend's executor: one sequence for both warehouses.

No I/O of its own: `execute` and `scalar` are the backend's cursor calls inside its open transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.warehouse import sql_load
from order_pipeline.warehouse.sql_ddl import drop_temp_sql
from order_pipeline.warehouse.sql_names import Dialect, losers_name, stage_name

Execute = Callable[[str, Sequence[Any]], None]
Scalar = Callable[[str, Sequence[Any]], int]


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    stale: int
    child_rows: dict[str, int]


def upsert_staged(dataset: Dataset, execute: Execute, scalar: Scalar, dialect: Dialect = "duckdb") -> UpsertCounts:
    """De-duplicate, drop stale, MERGE parents and replace children; staging must be filled."""
    stage = stage_name(dataset.name)
    execute(sql_load.dedup_losers_sql(dataset), ())
    execute(sql_load.dedup_delete_sql(dataset), ())
    execute(drop_temp_sql(losers_name(dataset.name)), ())
    unique = scalar(sql_load.count_sql(stage), ())
    execute(sql_load.stale_delete_sql(dataset), ())
    survivors = scalar(sql_load.count_sql(stage), ())
    updated = scalar(sql_load.matched_count_sql(dataset), ())
    execute(sql_load.merge_sql(dataset, dialect), ())
    child_rows: dict[str, int] = {}
    for child in dataset.children:
        execute(sql_load.child_delete_sql(dataset, child.name), ())
        child_rows[child.name] = scalar(sql_load.child_count_sql(dataset, child.name), ())
        execute(sql_load.child_insert_sql(dataset, child.name, dialect), ())
    return UpsertCounts(
        inserted=survivors - updated, updated=updated, stale=unique - survivors, child_rows=child_rows
    )
