"""Data-contract queries the asset checks run against any warehouse backend (portable SQL)."""

from __future__ import annotations

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.warehouse.base import Warehouse
from order_pipeline.warehouse.sql_checks import all_duplicates_sql
from order_pipeline.warehouse.sql_names import quote_ident


def row_count(db: Warehouse, table: str) -> int:
    return int(db.query(f"SELECT COUNT(*) FROM {quote_ident(table)}")[0][0])


def duplicate_key_count(db: Warehouse, dataset: Dataset) -> int:
    """How many merge-key values occur more than once in the whole parent table (must be 0): the full-table
    check. Each load checks the keys it merged in its own transaction (LoadResult.duplicate_keys)."""
    return int(db.query(all_duplicates_sql(dataset))[0][0])
