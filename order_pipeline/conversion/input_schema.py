"""The Arrow schema input records are read with, derived from a dataset declaration.

Nested like the input (`shipping_address` a struct, `items` a list of structs). Types are the "raw"
types the reader can produce exactly: decimals as decimal128(38, scale) (Arrow parses JSON numbers and
strings into it and refuses values needing more decimals; the declared precision is checked afterwards),
timestamps as strings (Arrow's JSON reader would silently read a naive timestamp as UTC, so they are cast
later with a strict zone check), integers as int64 (range checked afterwards).
"""

from __future__ import annotations

import pyarrow as pa

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset


def raw_type(column: Column) -> pa.DataType:
    if column.kind in ("string", "json", "timestamp"):
        return pa.string()
    if column.kind in ("int32", "int64"):
        return pa.int64()
    if column.kind == "decimal":
        return pa.decimal128(38, column.scale)
    if column.kind == "boolean":
        return pa.bool_()
    raise ValueError(f"unknown column kind {column.kind!r} for column {column.name!r}")


def _nest(leaves: list[tuple[tuple[str, ...], pa.DataType]]) -> list[pa.Field]:
    """Fields for dotted paths: ("a", "b") -> struct a { b }, keeping first-seen order."""
    groups: dict[str, list[tuple[tuple[str, ...], pa.DataType]] | pa.DataType] = {}
    for path, type_ in leaves:
        head, rest = path[0], path[1:]
        if not rest:
            if head in groups:
                raise ValueError(f"input field {head!r} is declared both as a value and as an object")
            groups[head] = type_
        else:
            group = groups.setdefault(head, [])
            if not isinstance(group, list):
                raise ValueError(f"input field {head!r} is declared both as a value and as an object")
            group.append((rest, type_))
    return [
        pa.field(name, pa.struct(_nest(value)) if isinstance(value, list) else value)
        for name, value in groups.items()
    ]


def _child_element_type(child: ChildTable) -> pa.DataType:
    return pa.struct(_nest([(tuple(c.source_path.split(".")), raw_type(c)) for c in child.columns]))


def input_schema(dataset: Dataset) -> pa.Schema:
    leaves: list[tuple[tuple[str, ...], pa.DataType]] = [
        (tuple(c.source_path.split(".")), raw_type(c)) for c in dataset.columns
    ]
    leaves += [
        (tuple(child.source.split(".")), pa.list_(_child_element_type(child))) for child in dataset.children
    ]
    return pa.schema(_nest(leaves))
