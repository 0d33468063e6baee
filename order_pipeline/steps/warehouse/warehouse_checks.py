"""Data-contract queries the asset checks run against any warehouse backend (portable SQL)."""

from __future__ import annotations

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.warehouse.base import Warehouse
from order_pipeline.warehouse.sql_names import quote_ident


def row_count(db: Warehouse, table: str) -> int:
    return int(db.query(f"SELECT COUNT(*) FROM {quote_ident(table)}")[0][0])


def duplicate_key_count(db: Warehouse, dataset: Dataset) -> int:
    """How many merge-key values occur more than once in the parent table (must be 0)."""
    keys = ", ".join(quote_ident(column) for column in dataset.merge_key)
    sql = (
        f"SELECT COUNT(*) FROM (SELECT {keys} FROM {quote_ident(dataset.name)} "
        f"GROUP BY {keys} HAVING COUNT(*) > 1) AS d"
    )
    return int(db.query(sql)[0][0])
