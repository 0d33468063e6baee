"""Schema drift and evolution of a dataset, as data: what has been reported, which columns were added.

The state of one dataset is a small JSON document (kept in the lake by steps/lake/schema_state.py):
- `reported`: every undeclared field ever seen, with its type and the file it was first seen in. A field is
  reported (metadata, `schema_drift` notification) once: when it first enters this map.
- `evolved`: with `Dataset.new_columns == "add"`, the columns added for top-level undeclared fields, in the
  order they were first seen. They follow the lineage columns in the canonical Parquet, in staging and in the
  target table (ALTER TABLE ADD COLUMN appends), so COPY's by-position mapping holds; existing rows get NULL.
- `untracked`: how many undeclared paths were seen (once per file) but not kept, because `reported` already held
  `max_paths` of them (ORDER_PIPELINE_MAX_DRIFT_PATHS): the state stays small whatever the files hold.
Columns added are capped too (`max_columns`, ORDER_PIPELINE_MAX_EVOLVED_COLUMNS, and always below the warehouse's
limit of WAREHOUSE_MAX_COLUMNS): a field over the cap is refused, and the refusal is told once, as that field is
first reported.

Pure domain code: no Dagster, no boto3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.kinds import MAX_DECIMAL_PRECISION, family_of, plain_type
from order_pipeline.datasets.reserved_names import column_name_problem

WAREHOUSE_MAX_COLUMNS = 1600  # Redshift's limit of columns a table (a table past it fails every load)
DEFAULT_MAX_PATHS = 500
DEFAULT_MAX_COLUMNS = 100
EVOLVED_STRING_BYTES = 65535  # Redshift's VARCHAR(MAX): an added string column must not reject long values
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,126}")


def evolved_column(name: str, type_: pa.DataType, first_seen: str) -> tuple[Column | None, str]:
    """The column schema evolution adds for a top-level field of `type_`, or None and why not."""
    if not _PLAIN_NAME.fullmatch(name):
        return None, "its name is not a plain lower-case identifier"
    reserved = column_name_problem(name)
    if reserved:
        return None, reserved
    type_ = plain_type(type_)
    family = family_of(type_)
    note = f"added by schema evolution; first seen in {first_seen}"
    simple = {
        "string": ("string", {"max_bytes": EVOLVED_STRING_BYTES}),
        "boolean": ("boolean", {}),
        "integer": ("int64", {}),
        "float": ("float64", {}),
        "date": ("date", {}),
        "time": ("time", {}),
        "nested": ("json", {}),
    }
    if family in simple:
        kind, options = simple[family]
        return Column(name, kind, source=name, description=note, **options), ""  # type: ignore[arg-type]
    if family == "decimal":
        if type_.scale > MAX_DECIMAL_PRECISION or type_.scale < 0:
            return None, f"a decimal of scale {type_.scale} fits no warehouse column"
        precision = min(max(type_.precision, type_.scale, 1), MAX_DECIMAL_PRECISION)
        return Column(name, "decimal", source=name, precision=precision, scale=type_.scale, description=note), ""
    if family == "timestamp":
        # A timestamp written without a zone is taken as UTC here: the column was not declared, so no zone was.
        zone = None if type_.tz else "UTC"
        return Column(name, "timestamp", source=name, naive_timezone=zone, description=note), ""
    return None, f"no column kind holds {type_}"


def _column_to_json(column: Column) -> dict[str, Any]:
    data = asdict(column)
    for key in ("min_value", "max_value", "allowed", "pattern", "allow_blank"):
        data.pop(key, None)
    return data


@dataclass(frozen=True)
class SchemaState:
    reported: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> type, first_seen, reported_at
    evolved: tuple[Column, ...] = ()
    untracked: int = 0  # undeclared paths seen (once per file) but not kept: `reported` was full

    def to_json(self) -> bytes:
        body: dict[str, Any] = {"reported": self.reported, "evolved": [_column_to_json(c) for c in self.evolved]}
        if self.untracked:
            body["untracked"] = self.untracked
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, text: bytes | str) -> SchemaState:
        data = json.loads(text)
        return cls(
            reported=dict(data.get("reported", {})),
            evolved=tuple(Column(**c) for c in data.get("evolved", [])),
            untracked=int(data.get("untracked", 0)),
        )

    def columns_for(self, dataset: Dataset) -> tuple[Column, ...]:
        """The evolved columns `dataset` carries: none unless it adds new columns, and none it now declares."""
        if dataset.new_columns != "add":
            return ()
        declared = {c.name for c in (*dataset.columns, *dataset.lineage_columns)}
        declared |= {c.source_path for c in dataset.columns}
        # a column evolved before system names were refused would break every table setup: leave it out
        return tuple(c for c in self.evolved if c.name not in declared and column_name_problem(c.name) is None)


@dataclass(frozen=True)
class Observation:
    state: SchemaState
    reported: tuple[str, ...]  # paths reported for the first time
    evolved: tuple[str, ...]  # columns added
    not_evolved: dict[str, str]  # path -> why it was not added (with new_columns == "add")
    untracked: int = 0  # this file's undeclared paths the state did not keep (it was full)
    filled: bool = False  # this file is the first whose paths the state could not keep (told once)


def _type_text(type_: pa.DataType) -> str:
    text = str(type_)  # a struct of thousands of fields would make one huge entry
    return text if len(text) <= 200 else text[:200] + "…"


def column_room(dataset: Dataset, max_columns: int) -> int:
    """How many columns schema evolution may add to `dataset` in all: `max_columns`, and always fewer than would
    take the table to the warehouse's limit."""
    declared = len(dataset.columns) + len(dataset.lineage_columns)
    return max(0, min(max_columns, WAREHOUSE_MAX_COLUMNS - declared))


def observe(
    state: SchemaState,
    dataset: Dataset,
    fields: Sequence[tuple[str, pa.DataType, bool]],
    first_seen: str,
    at: str,
    max_paths: int = DEFAULT_MAX_PATHS,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> Observation:
    """`state` after seeing `fields` (path, type, top level) undeclared in the file `first_seen`. At most
    `max_paths` paths are kept (the rest counted), at most `max_columns` columns added (the rest refused)."""
    reported = dict(state.reported)
    evolved = list(state.evolved)
    new_paths, added, refused, untracked = [], [], {}, 0
    taken = {c.name for c in (*dataset.columns, *dataset.lineage_columns, *evolved)}
    room = column_room(dataset, max_columns)
    evolved_paths = {c.source_path for c in evolved}
    for path, type_, top_level in fields:
        full = path not in reported and len(reported) >= max_paths
        if path not in reported and not full:
            reported[path] = {"type": _type_text(type_), "first_seen": first_seen, "reported_at": at}
            new_paths.append(path)
        column, why, always = None, "", False
        if dataset.new_columns == "add" and path not in evolved_paths:
            if not top_level:
                why = "only top-level fields become columns"
            elif path in taken:
                why, always = "a column of that name exists", True
            else:
                column, why = evolved_column(path, type_, first_seen)
                if column is not None and len(evolved) >= room:
                    column, why = None, f"over the cap of {room} added columns (ORDER_PIPELINE_MAX_EVOLVED_COLUMNS)"
        if column is not None:
            evolved.append(column)
            evolved_paths.add(path)
            taken.add(column.name)
            added.append(column.name)
            if full:  # an added column is always told, even past the cap of kept paths (so at most max_columns more)
                reported[path] = {"type": _type_text(type_), "first_seen": first_seen, "reported_at": at}
                new_paths.append(path)
        elif full:
            untracked += 1  # neither kept nor told: the file's record and the run's metadata count it
        elif why and (path in new_paths or always):
            refused[path] = why  # told once: as the path is first reported
    new_state = SchemaState(reported=reported, evolved=tuple(evolved), untracked=state.untracked + untracked)
    filled = untracked > 0 and state.untracked == 0
    return Observation(new_state, tuple(new_paths), tuple(added), refused, untracked, filled)
