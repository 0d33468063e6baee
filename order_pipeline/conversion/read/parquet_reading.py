"""Parquet input -> ParsedBatch, in record batches. Columns are the input field names, nested
(`shipping_address` struct, `items` list of structs) or flattened to the canonical column names.

The schema is checked first (schema_check): a file that cannot fit is quarantined in one step, with one message
naming each offending column, instead of rejecting its rows one by one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion.errors import ConversionError, SchemaMismatch
from order_pipeline.conversion.limits import DEFAULT_LIMITS, ConversionLimits, LimitExceeded
from order_pipeline.conversion.read.batch import ParsedBatch
from order_pipeline.conversion.read.schema_check import declared_tree, schema_problems
from order_pipeline.datasets.declaration import Dataset


def open_parquet(source: Path, name: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise ConversionError(f"{name}: unreadable Parquet file ({exc})") from exc


def check_schema(dataset: Dataset, parquet: pq.ParquetFile, name: str) -> None:
    """Raise SchemaMismatch naming every column that cannot fit, with its type and what was expected."""
    try:
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise ConversionError(f"{name}: unreadable Parquet file ({exc})") from exc
    problems = schema_problems(dataset, schema)
    if problems:
        rows = parquet.metadata.num_rows
        raise SchemaMismatch(
            f"{name}: the Parquet schema does not fit dataset {dataset.name!r}, so none of its "
            f"{rows} rows was read: {'; '.join(problems)}",
            rows,
        )


def declared_columns(dataset: Dataset, schema: pa.Schema) -> list[str]:
    """The file's top-level columns the dataset reads: the data of any other column is never read (a declared
    struct is read whole, its undeclared fields included)."""
    tree = declared_tree(dataset)
    return [field.name for field in schema if field.name in tree]


def check_size(parquet: pq.ParquetFile, columns: list[str], limits: ConversionLimits, name: str) -> None:
    """LimitExceeded when the file has too many columns or a row group whose read columns expand too much."""
    metadata = parquet.metadata
    if metadata.num_columns > limits.max_parquet_columns:
        raise LimitExceeded(
            name,
            f"the Parquet file has {metadata.num_columns} columns",
            "max_parquet_columns",
            limits.max_parquet_columns,
        )
    read = set(columns)
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        size = sum(
            group.column(leaf).total_uncompressed_size
            for leaf in range(group.num_columns)
            if group.column(leaf).path_in_schema.split(".", 1)[0] in read
        )
        if size > limits.max_row_group_bytes:
            raise LimitExceeded(
                name,
                f"row group {index} of the Parquet file holds {size} bytes uncompressed in the columns read",
                "max_row_group_bytes",
                limits.max_row_group_bytes,
            )


def parquet_batches(
    source: Path,
    dataset: Dataset,
    batch_rows: int,
    name: str,
    *,
    check: bool = True,
    limits: ConversionLimits = DEFAULT_LIMITS,
) -> Iterator[ParsedBatch]:
    """The file's rows in batches, only its declared columns, after its schema and size were checked
    (`check=False` skips the schema check: benchmarks compare with the row-by-row path)."""
    parquet = open_parquet(source, name)
    if check:
        check_schema(dataset, parquet, name)
    try:
        columns = declared_columns(dataset, parquet.schema_arrow)
    except (pa.ArrowException, OSError) as exc:
        raise ConversionError(f"{name}: unreadable Parquet file ({exc})") from exc
    check_size(parquet, columns, limits, name)
    records = 0
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            table = pa.Table.from_batches([batch])

            def origin(row: int, table: pa.Table = table) -> tuple[int | None, Any]:
                return None, table.slice(row, 1).to_pylist()[0]

            ordinals = np.arange(records + 1, records + 1 + table.num_rows, dtype=np.int64)
            records += table.num_rows
            yield ParsedBatch(table, ordinals, table.num_rows, origin)
    except (pa.ArrowException, OSError) as exc:
        raise ConversionError(f"{name}: unreadable Parquet data ({exc})") from exc
