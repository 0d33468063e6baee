"""Column kinds are declared once (datasets/kinds.py) and every reader of the table covers every kind."""

from __future__ import annotations

import typing

import pyarrow as pa
import pytest

from order_pipeline.components.metadata import column_schema, type_name
from order_pipeline.conversion.read.input_schema import raw_type
from order_pipeline.conversion.validate.kind_values import CONVERTERS, convert_values, working_type
from order_pipeline.datasets.declaration import Column
from order_pipeline.datasets.kinds import DIALECTS, KINDS, ColumnKind, accepts, family_of
from order_pipeline.warehouse.sql_ddl import column_type, from_staged

ALL_KINDS = typing.get_args(ColumnKind)
# One value of every kind, as an Arrow array of its canonical type (the lake Parquet).
CANONICAL_SAMPLES = {
    "string": ["abc"],
    "json": ['{"a":[1,2]}'],
    "boolean": [True],
    "int16": [-7],
    "int32": [70000],
    "int64": [2**40],
    "float32": [1.5],
    "float64": [2.25],
    "decimal": ["12.34"],
    "date": ["2026-11-20"],
    "time": ["08:30:00.000000"],
    "timestamp": ["2026-11-20T08:00:00Z"],
}


def _column(kind: str) -> Column:
    return Column(f"c_{kind}", kind, precision=15, scale=2, max_bytes=64)


def test_every_kind_is_declared_once_in_the_table():
    assert set(KINDS) == set(ALL_KINDS)
    assert all(kind.name == name for name, kind in KINDS.items())


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_reader_of_the_table_covers_the_kind(kind):
    column = _column(kind)
    assert kind in CONVERTERS  # conversion
    assert column.arrow_type() == KINDS[kind].canonical_type(15, 2)  # canonical Parquet
    assert kind == "json" or raw_type(column) is not None  # JSON read schema (json: the raw value)
    for dialect in DIALECTS:  # DDL, staging included
        assert column_type(column, dialect) and column_type(column, dialect, staged=True)
        assert "{}" not in from_staged(column, dialect, '"s"."c"') and '"s"."c"' in from_staged(
            column, dialect, '"s"."c"'
        )
    assert type_name(column) and "{" not in type_name(column)  # metadata
    assert column_schema([column]).columns[0].type == type_name(column)
    # A canonical lake file of the kind fits the kind again, and converts to itself.
    canonical = (
        pa.array(CANONICAL_SAMPLES[kind]).cast(pa.string()).cast(column.arrow_type())
        if kind not in ("boolean", "int16", "int32", "int64", "float32", "float64")
        else pa.array(CANONICAL_SAMPLES[kind], column.arrow_type())
    )
    assert accepts(KINDS[kind], canonical.type)
    values, bad, _ = convert_values(column, canonical)
    assert not bad.any() and values.type == working_type(column)
    assert values.cast(column.arrow_type()).equals(canonical)


def test_sql_types_per_dialect():
    assert column_type(_column("string"), "redshift") == "VARCHAR(64)"
    assert column_type(_column("string"), "duckdb") == "VARCHAR"
    assert column_type(_column("decimal"), "redshift") == "DECIMAL(15,2)"
    assert [column_type(_column(k), "redshift") for k in ("int16", "float32", "float64", "date", "time")] == [
        "SMALLINT",
        "REAL",
        "DOUBLE PRECISION",
        "DATE",
        "TIME",
    ]
    assert column_type(_column("json"), "redshift") == "SUPER"
    # Redshift's Parquet COPY loads no TIME: staged as text, cast when it leaves staging
    assert column_type(_column("time"), "redshift", staged=True) == "VARCHAR(15)"
    assert from_staged(_column("time"), "redshift", '"s"."t"') == 'CAST("s"."t" AS TIME)'
    assert column_type(_column("time"), "duckdb", staged=True) == "TIME"


@pytest.mark.parametrize(
    ("type_", "family"),
    [
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.string_view(), "string"),
        (pa.dictionary(pa.int8(), pa.string()), "string"),
        (pa.uint64(), "integer"),
        (pa.float16(), "float"),
        (pa.decimal256(40, 2), "decimal"),
        (pa.date64(), "date"),
        (pa.time32("s"), "time"),
        (pa.timestamp("ns"), "timestamp"),
        (pa.struct([("a", pa.int8())]), "nested"),
        (pa.list_(pa.int8()), "nested"),
        (pa.map_(pa.string(), pa.int8()), "nested"),
        (pa.binary(), "binary"),
        (pa.null(), "null"),
    ],
)
def test_input_families(type_, family):
    assert family_of(type_) == family


def test_what_each_kind_accepts():
    assert accepts(KINDS["string"], pa.string_view()) and not accepts(KINDS["string"], pa.int32())
    assert accepts(KINDS["date"], pa.date32()) and not accepts(KINDS["date"], pa.timestamp("us"))
    assert accepts(KINDS["decimal"], pa.float64()) and not accepts(KINDS["decimal"], pa.bool_())
    assert accepts(KINDS["json"], pa.struct([("a", pa.int8())])) and not accepts(KINDS["json"], pa.binary())
    assert not accepts(KINDS["int32"], pa.struct([("a", pa.int8())]))
    assert all(accepts(kind, pa.null()) for kind in KINDS.values())


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown column kind 'money'"):
        Column("x", "money")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision <= 38"):
        Column("x", "decimal", precision=39)
    with pytest.raises(ValueError, match="scale <= precision"):
        Column("x", "decimal", precision=4, scale=5)
    assert Column("x", "decimal", precision=38, scale=38).arrow_type() == pa.decimal128(38, 38)


def test_order_date_of_the_daily_summary_is_a_date():
    from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY

    assert {c.name: c.kind for c in DAILY_ORDER_SUMMARY.columns}["order_date"] == "date"
