"""A file's Arrow schema against the declaration, before any row is read.

`schema_problems`: every declared column the schema cannot fit (a type no value of which converts, a required
field or list that is absent), named with its type and what was expected: a Parquet file with any is
quarantined in one step instead of rejecting its rows one by one. `undeclared_fields`: what the file holds that
the declaration does not (schema drift), for Parquet from its schema, for JSON from a sample's inferred schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from order_pipeline.conversion.validate.resolve import column_values, struct_path
from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.kinds import accepts, kind_named, plain_type

Tree = dict[str, "Tree | None"]  # declared input paths; None: a value (nothing below it is declared)


def _display(column: Column) -> str:
    return kind_named(column.kind).display.format(
        precision=column.precision, scale=column.scale, max_bytes=column.byte_limit
    )


def _naive(type_: pa.DataType) -> bool:
    type_ = plain_type(type_)
    return pa.types.is_timestamp(type_) and type_.tz is None


def _field(values: pa.Array | None, column: Column, label: str) -> str | None:
    if values is None:
        return None if column.nullable else f"`{label}` is missing (a required {_display(column)})"
    kind = kind_named(column.kind)
    if not accepts(kind, values.type):
        return f"`{label}` is {values.type}, expected {_display(column)}: {kind.expected}"
    if column.kind == "timestamp" and column.naive_timezone is None and _naive(values.type):
        return (
            f"`{label}` is {values.type} without a time zone, expected {_display(column)}: declare the "
            "column's naive_timezone to read such values in a zone"
        )
    return None


def _is_list(type_: pa.DataType) -> bool:
    type_ = plain_type(type_)
    return (
        pa.types.is_list(type_)
        or pa.types.is_large_list(type_)
        or pa.types.is_list_view(type_)
        or pa.types.is_large_list_view(type_)
    )


def schema_problems(dataset: Dataset, schema: pa.Schema) -> list[str]:
    """What in `schema` cannot fit `dataset`, one entry per offending column (empty: it fits)."""
    empty = schema.empty_table()
    problems = [
        problem
        for column in dataset.value_columns
        if (problem := _field(column_values(empty, column.source_path, column.name), column, column.source_path))
    ]
    for child in dataset.children:
        lists = column_values(empty, child.source)
        if lists is None:
            if child.min_items > 0:
                problems.append(f"`{child.source}` is missing (a required list of {child.name})")
            continue
        if not _is_list(lists.type):
            problems.append(f"`{child.source}` is {lists.type}, expected a list of {child.name} objects")
            continue
        elements = pa.nulls(0, plain_type(lists.type).value_type)
        for column in child.columns:
            values = struct_path(elements, column.source_path.split("."))
            problem = _field(values, column, f"{child.source}[].{column.source_path}")
            if problem:
                problems.append(problem)
    if dataset.extra_fields == "reject":
        problems += [
            f"`{field.path}` is not declared (the dataset rejects unexpected fields)"
            for field in undeclared_fields(dataset, schema)
        ]
    return problems


def declared_tree(dataset: Dataset) -> Tree:
    """The declared input paths; a child list is transparent (its element paths below it)."""
    tree: Tree = {}

    def add(into: Tree, path: list[str], below: Tree | None = None) -> None:
        node = into
        for part in path[:-1]:
            child = node.get(part)
            if child is None and part in node:
                return  # a declared value: nothing below it is tracked
            node = node.setdefault(part, {})  # type: ignore[assignment]
        if below is None:
            node[path[-1]] = None
        else:
            existing = node.get(path[-1])
            node[path[-1]] = {**(existing or {}), **below}

    for column in dataset.value_columns:
        add(tree, column.source_path.split("."))
        tree.setdefault(column.name, None)  # flattened Parquet may name the canonical column
        tree.setdefault(column.source_path, None)  # ...or the dotted path itself
    for child in dataset.children:
        elements: Tree = {}
        for column in child.columns:
            add(elements, column.source_path.split("."))
        add(tree, child.source.split("."), elements)
    return tree


@dataclass(frozen=True)
class UndeclaredField:
    path: str  # dotted, `list[]` for the elements of a list: "coupon", "shipping_address.floor", "items[].note"
    type: pa.DataType

    @property
    def top_level(self) -> bool:
        return "." not in self.path and "[]" not in self.path


def _walk(fields: pa.Schema | pa.StructType, tree: Tree, prefix: str) -> Iterator[UndeclaredField]:
    for index in range(fields.num_fields if isinstance(fields, pa.StructType) else len(fields)):
        field = fields.field(index)
        path = f"{prefix}{field.name}"
        if field.name not in tree:
            yield UndeclaredField(path, field.type)
            continue
        below = tree[field.name]
        if below is None:
            continue
        type_ = plain_type(field.type)
        if _is_list(type_):
            type_, path = plain_type(type_.value_type), f"{path}[]"
        if pa.types.is_struct(type_):
            yield from _walk(type_, below, f"{path}.")


def undeclared_fields(dataset: Dataset, schema: pa.Schema) -> list[UndeclaredField]:
    """Fields of `schema` the declaration does not name, nested ones included (schema drift)."""
    return list(_walk(schema, declared_tree(dataset), ""))
