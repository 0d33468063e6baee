"""Which file versions the ledger already holds: one lookup both backends share (through their `query`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse import sql_load

KEYS_PER_QUERY = 500  # bound the IN (...) list of one statement

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def loaded_versions(query: Query, dataset: Dataset, files: Sequence[FileVersion]) -> set[tuple[str, str]]:
    wanted = {(f.key, f.etag) for f in files}
    keys = sorted({key for key, _ in wanted})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        rows = query(sql_load.loaded_versions_sql(len(chunk)), [dataset.name, *chunk])
        found.update((key, etag) for key, etag in rows)
    return found & wanted
