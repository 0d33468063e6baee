"""Finding a declared field in a batch: by its dotted input path (nested structs), or, for flattened
Parquet, a top-level column named like the canonical column or like the dotted path itself."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def struct_path(values: pa.Array, parts: list[str]) -> pa.Array | None:
    for part in parts:
        if not pa.types.is_struct(values.type):
            return None
        index = values.type.get_field_index(part)
        if index < 0:
            return None
        values = pc.struct_field(values, [index])  # nulls of the parent struct propagate
    return values


def column_values(table: pa.Table, path: str, canonical_name: str | None = None) -> pa.Array | None:
    parts = path.split(".")
    names = table.column_names
    if parts[0] in names:
        found = struct_path(table.column(parts[0]).combine_chunks(), parts[1:])
        if found is not None:
            return found
    for name in (canonical_name, path):
        if name and name in names:
            return table.column(name).combine_chunks()
    return None
