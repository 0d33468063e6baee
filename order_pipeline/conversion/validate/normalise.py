"""A batch of input rows -> validated canonical tables (parent + children), vectorised.

Driven entirely by the Dataset declaration. A record failing any check is marked in `Failures` and
contributes no row to any table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.conversion.read.input_schema import raw_json_name
from order_pipeline.conversion.validate.casting import true_mask
from order_pipeline.conversion.validate.columns import ColumnTarget, canonical_values
from order_pipeline.conversion.validate.failures import Failures
from order_pipeline.conversion.validate.resolve import column_values, struct_path
from order_pipeline.datasets.declaration import (
    LANDED_AT_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_RECORD_COLUMN,
    ChildTable,
    Column,
    Dataset,
)

PARENT_ROW = "_parent_row"


@dataclass
class Normalised:
    tables: dict[str, pa.Table]  # only the rows of valid records, canonical schema
    failures: Failures


def _constant_strings(value: str, rows: int) -> pa.Array:
    indices = pa.array(np.zeros(rows, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([value], pa.string())).dictionary_decode()


def _lists(values: pa.Array | None) -> pa.Array | None:
    """A list column as a plain list array (large lists and list views cast), else None."""
    if values is None:
        return None
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_large_list(values.type) or pa.types.is_list(values.type):
        return values
    if pa.types.is_list_view(values.type) or pa.types.is_large_list_view(values.type):
        return pc.cast(values, pa.large_list(values.type.value_type))
    return None


def _parent_values(table: pa.Table, column: Column) -> pa.Array | None:
    """A parent column's input values: a json column's raw JSON texts when the reader kept them."""
    if column.kind == "json" and raw_json_name(column) in table.column_names:
        return table.column(raw_json_name(column)).combine_chunks()
    return column_values(table, column.source_path, column.name)


def _child_table(
    dataset: Dataset, child: ChildTable, table: pa.Table, parent: dict[str, pa.Array], failures: Failures
) -> pa.Table:
    """Rows of one child table for every parent row, plus `_parent_row`; list-level checks recorded."""
    label = child.source
    lists = _lists(column_values(table, child.source))
    if lists is None:
        lists = pa.nulls(failures.rows, pa.list_(pa.struct([])))
    lengths = pc.list_value_length(lists)
    counts = pc.fill_null(lengths, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    missing = true_mask(lengths.is_null())
    if child.min_items > 0:
        failures.add(missing, label, lambda i: "missing required list")
        few = (counts < child.min_items) & ~missing
        failures.add(few, label, lambda i: f"has {counts[i]} elements, fewer than {child.min_items}")
    if child.max_items is not None:
        many = counts > child.max_items
        failures.add(many, label, lambda i: f"has {counts[i]} elements, more than {child.max_items}")
    elements = pc.list_flatten(lists)
    parent_rows = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    starts = np.cumsum(counts) - counts
    positions = np.arange(len(parent_rows), dtype=np.int64) - starts[parent_rows] + 1
    at: Callable[[int], str] = lambda i: f"element {positions[i]}: "  # noqa: E731
    arrays: dict[str, pa.Array] = {}
    for column in dataset.table_columns(child.name):
        if column.name in dataset.merge_key:
            arrays[column.name] = pc.take(parent[column.name], pa.array(parent_rows))
        elif column.name == child.position_column:
            arrays[column.name] = pa.array(positions.astype(np.int32))
        elif column.name in (SOURCE_FILE_COLUMN, SOURCE_RECORD_COLUMN):
            arrays[column.name] = pc.take(parent[column.name], pa.array(parent_rows))
        else:
            raw = raw_json_name(column, child)
            if column.kind == "json" and raw in table.column_names:
                values = pc.list_flatten(table.column(raw).combine_chunks())
            else:
                values = struct_path(elements, column.source_path.split("."))
            target = ColumnTarget(failures, f"{label}.{column.source_path}", parent_rows, at)
            arrays[column.name] = canonical_values(column, values, target, len(parent_rows))
    arrays[PARENT_ROW] = pa.array(parent_rows)
    return pa.table(arrays)


def normalise(
    dataset: Dataset, table: pa.Table, ordinals: np.ndarray, source_name: str, landed_at: datetime | None = None
) -> Normalised:
    """`landed_at` (when the file landed) fills LANDED_AT_COLUMN of a dataset without a version column."""
    rows = table.num_rows
    table = table.combine_chunks()  # once, rather than per nested field
    failures = Failures(rows)
    parent: dict[str, pa.Array] = {}
    for column in dataset.value_columns:
        target = ColumnTarget(failures, column.source_path)
        parent[column.name] = canonical_values(column, _parent_values(table, column), target, rows)
    parent[SOURCE_FILE_COLUMN] = _constant_strings(source_name, rows)
    parent[SOURCE_RECORD_COLUMN] = pa.array(ordinals, pa.int64())
    if dataset.version_column is None:
        if landed_at is None:
            raise ValueError(f"dataset {dataset.name!r} has no version column: the file's landing time is needed")
        moment = pa.array([landed_at], pa.timestamp("us", tz="UTC"))
        parent[LANDED_AT_COLUMN] = pc.take(moment, pa.array(np.zeros(rows, dtype=np.int32)))
    parent_table = pa.table(parent, schema=dataset.arrow_schema())
    children = {child.name: _child_table(dataset, child, table, parent, failures) for child in dataset.children}
    for rule in dataset.rules:
        passed = pc.fill_null(rule.check(parent_table, children), False)
        broken = ~np.asarray(passed.to_numpy(zero_copy_only=False), dtype=bool) & ~failures.failed
        failures.add(broken, rule.field, _always(rule.reason))
    ok = failures.ok
    tables = {dataset.name: parent_table.filter(pa.array(ok)) if not ok.all() else parent_table}
    for child in dataset.children:
        rows_table = children[child.name]
        keep = ok[rows_table[PARENT_ROW].to_numpy()]
        rows_table = rows_table.drop_columns([PARENT_ROW])
        if not keep.all():
            rows_table = rows_table.filter(pa.array(keep))
        tables[child.name] = rows_table.cast(dataset.arrow_schema(child.name))
    return Normalised(tables, failures)


def _always(reason: str) -> Callable[[int], str]:
    """The same reason for every failing element."""
    return lambda _: reason
