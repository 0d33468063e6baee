"""Issue 20 item 5, the rules of datasets/evolution.observe: the state keeps at most `max_paths` paths (the rest
counted, the overflow told once), schema evolution adds at most `max_columns` and always stays below the
warehouse's 1,600 columns; a refusal is told once, as its field is first reported."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from order_pipeline.conversion.drift import MAP_KEYS, probe_file
from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.evolution import WAREHOUSE_MAX_COLUMNS, SchemaState, column_room, observe
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.hostile_files import data_keyed_fields, many_new_fields

WIDE = Dataset(
    name="wide",
    merge_key=("id",),
    event_time_column="at",
    new_columns="add",
    columns=(Column("id", "int64", nullable=False), Column("at", "timestamp", nullable=False)),
)
AT = "2026-12-04T00:00:00+00:00"


def _fields(names: list[str], top_level: bool = True) -> list[tuple[str, pa.DataType, bool]]:
    return [(name, pa.int64(), top_level) for name in names]


def test_paths_past_the_cap_are_counted_not_kept_and_the_overflow_is_told_once():
    nested = _fields([f"address.k{n}" for n in range(30)], top_level=False)
    first = observe(SchemaState(), WIDE, nested, "s3://b/a", AT, max_paths=10, max_columns=5)
    assert len(first.state.reported) == 10 and first.untracked == 20 and first.filled
    assert SchemaState.from_json(first.state.to_json()) == first.state
    again = observe(first.state, WIDE, nested, "s3://b/b", AT, max_paths=10, max_columns=5)
    assert again.reported == () and again.untracked == 20 and not again.filled
    assert again.state.untracked == 40 and again.state.reported == first.state.reported


def test_columns_past_the_cap_are_refused_once_and_an_added_column_is_told_past_the_path_cap():
    names = [f"f{n:03d}" for n in range(20)]
    first = observe(SchemaState(), WIDE, _fields(names), "s3://b/a", AT, max_paths=8, max_columns=3)
    assert first.evolved == ("f000", "f001", "f002")
    assert set(first.not_evolved) == set(names[3:8])  # reported and refused; the other 12 only counted
    assert "ORDER_PIPELINE_MAX_EVOLVED_COLUMNS" in first.not_evolved["f003"]
    assert first.untracked == 12
    again = observe(first.state, WIDE, _fields(names), "s3://b/b", AT, max_paths=8, max_columns=3)
    assert again.not_evolved == {} and again.evolved == ()
    # the path cap full, a new field can still become a column (and is then told)
    full = observe(SchemaState(), WIDE, _fields(names), "s3://b/a", AT, max_paths=2, max_columns=5)
    assert full.evolved == ("f000", "f001", "f002", "f003", "f004") and len(full.state.reported) == 5


def test_evolution_always_stays_below_the_warehouse_column_limit():
    wide = Dataset(
        name="wide",
        merge_key=("c0000",),
        event_time_column="c0001",
        new_columns="add",
        columns=(
            Column("c0000", "int64", nullable=False),
            Column("c0001", "timestamp", nullable=False),
            *(Column(f"c{n:04d}", "int64") for n in range(2, 1590)),
        ),
    )
    room = column_room(wide, 100)
    assert room == WAREHOUSE_MAX_COLUMNS - len(wide.columns) - len(wide.lineage_columns) < 100
    seen = observe(SchemaState(), wide, _fields([f"x{n}" for n in range(50)]), "s3://b/a", AT, 1000, 100)
    assert len(seen.evolved) == room


def test_data_keyed_siblings_are_one_path_and_plain_names_are_not(tmp_path: Path):
    keyed = probe_file(ORDERS, data_keyed_fields(tmp_path / "keyed", 5000), "keyed.jsonl")
    assert [(f.path, str(f.type)) for f in keyed] == [("*", "int64"), ("shipping_address.*", "int64")]
    few = probe_file(ORDERS, data_keyed_fields(tmp_path / "few", MAP_KEYS - 1), "few.jsonl")
    assert len(few) == 2 * (MAP_KEYS - 1)  # too few to call a map: each reported
    assert len(probe_file(ORDERS, many_new_fields(tmp_path / "named", 2000), "named.jsonl")) == 2000
