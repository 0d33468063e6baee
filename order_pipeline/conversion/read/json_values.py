"""The values of `json` columns, taken from raw JSON records as JSON text (Arrow's reader cannot keep a value of
any shape). Only datasets that declare json columns pay for this pass: one orjson parse per record.

Numbers are re-written by the parser (1.50 becomes 1.5; a number beyond a double's precision is rounded to
it); keys, strings, nesting and order are kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa

from order_pipeline.conversion.read.input_schema import RawJsonField

KeyTree = dict[str, "KeyTree | None"]  # declared keys; None: any value below (a leaf or a json value)


class UnreadableRecord(ValueError):
    """A record the JSON parser of this pass refuses (the slow path explains it)."""


def parse(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass  # e.g. an integer beyond 64 bits, which the standard parser keeps
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UnreadableRecord(str(exc)) from exc


def _at(value: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def raw_json_columns(fields: Sequence[RawJsonField], records: Sequence[Any]) -> dict[str, pa.Array]:
    """For each field, its JSON text in each parsed record (a list of texts per record for a child field)."""
    columns: dict[str, pa.Array] = {}
    for field in fields:
        if field.element_path is None:
            columns[field.name] = pa.array([_text(_at(r, field.path)) for r in records], pa.string())
            continue
        lists = []
        for record in records:
            elements = _at(record, field.path)
            lists.append([_text(_at(e, field.element_path)) for e in elements] if isinstance(elements, list) else None)
        columns[field.name] = pa.array(lists, pa.list_(pa.string()))
    return columns


def key_tree(schema: pa.Schema | pa.StructType) -> KeyTree:
    """The declared keys of a diagnosis schema (input_schema(..., with_json=True))."""
    tree: KeyTree = {}
    for index in range(len(schema) if isinstance(schema, pa.Schema) else schema.num_fields):
        field = schema.field(index)
        type_ = field.type
        if pa.types.is_list(type_):
            type_ = type_.value_type
        tree[field.name] = key_tree(type_) if pa.types.is_struct(type_) else None
    return tree


def has_unexpected_field(value: Any, tree: KeyTree | None) -> bool:
    """Whether `value` holds a key the declaration does not know (below a json value anything goes)."""
    if tree is None:
        return False
    if isinstance(value, list):
        return any(has_unexpected_field(element, tree) for element in value)
    if not isinstance(value, dict):
        return False
    return any(key not in tree or has_unexpected_field(child, tree[key]) for key, child in value.items())
