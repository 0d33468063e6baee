"""Parquet input -> ParsedBatch, in record batches. Columns are the input field names, nested
(`shipping_address` struct, `items` list of structs) or flattened to the canonical column names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion.batch import ParsedBatch
from order_pipeline.conversion.errors import ConversionError
from order_pipeline.conversion.resolve import column_values
from order_pipeline.datasets.declaration import Dataset


def _shape_problems(dataset: Dataset, schema: pa.Schema) -> list[str]:
    empty = schema.empty_table()
    problems = [
        column.source_path for column in dataset.columns
        if not column.nullable and column_values(empty, column.source_path, column.name) is None
    ]
    problems += [child.source for child in dataset.children
                 if child.min_items > 0 and column_values(empty, child.source) is None]
    return problems


def _unexpected(dataset: Dataset, schema: pa.Schema) -> list[str]:
    known = {c.source_path.split(".")[0] for c in dataset.columns} | {c.name for c in dataset.columns}
    known |= {c.source_path for c in dataset.columns} | {c.source.split(".")[0] for c in dataset.children}
    return [name for name in schema.names if name not in known]


def parquet_batches(source: Path, dataset: Dataset, batch_rows: int, name: str) -> Iterator[ParsedBatch]:
    try:
        parquet = pq.ParquetFile(source)
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise ConversionError(f"{name}: unreadable Parquet file ({exc})") from exc
    missing = _shape_problems(dataset, schema)
    if missing:
        raise ConversionError(f"{name}: the Parquet columns ({', '.join(schema.names)}) do not hold the "
                              f"required fields {', '.join(missing)}: not a {dataset.name} file")
    extra = _unexpected(dataset, schema) if dataset.extra_fields == "reject" else []
    if extra:
        raise ConversionError(f"{name}: unexpected Parquet columns {', '.join(extra)}")
    records = 0
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows):
            table = pa.Table.from_batches([batch])

            def origin(row: int, table: pa.Table = table) -> tuple[int | None, Any]:
                return None, table.slice(row, 1).to_pylist()[0]

            ordinals = np.arange(records + 1, records + 1 + table.num_rows, dtype=np.int64)
            records += table.num_rows
            yield ParsedBatch(table, ordinals, table.num_rows, origin)
    except (pa.ArrowException, OSError) as exc:
        raise ConversionError(f"{name}: unreadable Parquet data ({exc})") from exc
