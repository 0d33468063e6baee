"""The merge-key uniqueness check, scoped to a batch (in the load's transaction) or over the whole table
(the less frequent full-table check). Pure: builds strings, runs nothing."""

from __future__ import annotations

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.warehouse.sql_keyrange import KeyRange, and_range
from order_pipeline.warehouse.sql_names import quote_ident, stage_name


def _keys(alias: str, dataset: Dataset) -> str:
    return ", ".join(f"{quote_ident(alias)}.{quote_ident(c)}" for c in dataset.merge_key)


def merged_duplicates_sql(dataset: Dataset, key: KeyRange | None = None) -> str:
    """How many of the keys the batch merged the parent table now holds more than once (must be 0).

    `key` (sql_keyrange): the staged keys' range, bounding the parent rows read."""
    stage = stage_name(dataset.name)
    on = " AND ".join(f'"t".{quote_ident(c)} = "k".{quote_ident(c)}' for c in dataset.merge_key) + and_range(key, "t")
    keys = ", ".join(quote_ident(c) for c in dataset.merge_key)
    return (
        f'SELECT COUNT(*) FROM (SELECT {_keys("t", dataset)} FROM {quote_ident(dataset.name)} AS "t" '
        f'JOIN (SELECT DISTINCT {keys} FROM {quote_ident(stage)}) AS "k" ON {on} '
        f'GROUP BY {_keys("t", dataset)} HAVING COUNT(*) > 1) AS "d"'
    )


def all_duplicates_sql(dataset: Dataset) -> str:
    """How many merge-key values occur more than once in the whole parent table (must be 0)."""
    keys = ", ".join(quote_ident(column) for column in dataset.merge_key)
    return (
        f"SELECT COUNT(*) FROM (SELECT {keys} FROM {quote_ident(dataset.name)} "
        f'GROUP BY {keys} HAVING COUNT(*) > 1) AS "d"'
    )
