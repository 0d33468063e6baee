"""What the ledger already holds: lookups both backends share (through their `query`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse import sql_load
from order_pipeline.warehouse.base import LEDGER_TABLE

KEYS_PER_QUERY = 500  # bound the IN (...) list of one statement

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def loaded_versions(query: Query, dataset: Dataset, files: Sequence[FileVersion]) -> set[tuple[str, str]]:
    """The (key, etag) pairs among `files` that the ledger holds, whatever their status."""
    return set(ledger_statuses(query, dataset, files))


def ledger_by_partition(query: Query, dataset: Dataset, partitions: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """partition -> the (key, etag) pairs the ledger holds for it, whatever their status; {} before the first load."""
    wanted = sorted(set(partitions))
    found: dict[str, set[tuple[str, str]]] = {p: set() for p in wanted}
    if not wanted or not query(sql_load.ledger_table_exists_sql(), [LEDGER_TABLE])[0][0]:
        return found
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        for partition, key, etag in query(sql_load.ledger_partitions_sql(len(chunk)), [dataset.name, *chunk]):
            found.setdefault(str(partition), set()).add((key, etag))
    return found


def ledger_statuses(query: Query, dataset: Dataset, files: Sequence[FileVersion]) -> dict[tuple[str, str], str]:
    """(key, etag) -> ledger status (loaded, quarantined, dead_letter) for those of `files` the ledger holds."""
    wanted = {(f.key, f.etag) for f in files}
    keys = sorted({key for key, _ in wanted})
    found: dict[tuple[str, str], str] = {}
    if not keys or not query(sql_load.ledger_table_exists_sql(), [LEDGER_TABLE])[0][0]:
        return found
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        for key, etag, status in query(sql_load.ledger_statuses_sql(len(chunk)), [dataset.name, *chunk]):
            if (key, etag) in wanted:
                found[(key, etag)] = status
    return found
