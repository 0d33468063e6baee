"""The Arrow schema JSON input records are read with, derived from a dataset declaration and its kinds.

Nested like the input (`shipping_address` a struct, `items` a list of structs). Types are the "raw" types the
reader can produce exactly (datasets/kinds.py: `Kind.json_read_type`), checked and cast afterwards.

`json` columns are not read by Arrow at all: a JSON value of any shape (object, array, number, string) is
kept as its JSON text, taken from the raw record (json_values.py), and added to the batch as a column named
`raw_json_name(...)`. For diagnosis they appear in the schema as `null` fields: any value is accepted there.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset
from order_pipeline.datasets.kinds import kind_named

RAW_JSON_PREFIX = "\x00json:"  # cannot clash with an input field name read from JSON or Parquet


def raw_type(column: Column) -> pa.DataType | None:
    """The JSON read type of a column; None for a json column (taken from the raw record)."""
    return kind_named(column.kind).json_read_type(column.scale)


def raw_json_name(column: Column, child: ChildTable | None = None) -> str:
    """The batch column holding a json column's JSON texts (for a child: one list of texts per record)."""
    return f"{RAW_JSON_PREFIX}{child.name + '.' if child else ''}{column.name}"


@dataclass(frozen=True)
class RawJsonField:
    """A json column whose values are taken from the raw records."""

    name: str  # the batch column it becomes (raw_json_name)
    path: tuple[str, ...]  # the value's path in a record; for a child column, the path of the list
    element_path: tuple[str, ...] | None = None  # for a child column: the value's path in one list element


def raw_json_fields(dataset: Dataset) -> tuple[RawJsonField, ...]:
    fields = [
        RawJsonField(raw_json_name(c), tuple(c.source_path.split(".")))
        for c in dataset.value_columns
        if c.kind == "json"
    ]
    for child in dataset.children:
        fields += [
            RawJsonField(raw_json_name(c, child), tuple(child.source.split(".")), tuple(c.source_path.split(".")))
            for c in child.columns
            if c.kind == "json"
        ]
    return tuple(fields)


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
        pa.field(name, pa.struct(_nest(value)) if isinstance(value, list) else value) for name, value in groups.items()
    ]


def _leaves(columns: tuple[Column, ...], with_json: bool) -> list[tuple[tuple[str, ...], pa.DataType]]:
    leaves = []
    for column in columns:
        type_ = raw_type(column)
        if type_ is None and not with_json:
            continue
        leaves.append((tuple(column.source_path.split(".")), type_ if type_ is not None else pa.null()))
    return leaves


def _child_element_type(child: ChildTable, with_json: bool) -> pa.DataType:
    return pa.struct(_nest(_leaves(child.columns, with_json)))


def input_schema(dataset: Dataset, *, with_json: bool = False) -> pa.Schema:
    """What Arrow's JSON reader reads; `with_json`: with json fields as `null` (any value), for diagnosis."""
    leaves = _leaves(dataset.value_columns, with_json)
    leaves += [
        (tuple(child.source.split(".")), pa.list_(_child_element_type(child, with_json))) for child in dataset.children
    ]
    return pa.schema(_nest(leaves))
