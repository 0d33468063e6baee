"""Column kinds, declared once: for each kind, the input Arrow types it accepts, its canonical Arrow type (what
the lake Parquet holds), its SQL type per warehouse dialect and its display name.

Conversion (conversion/validate/kind_values.py), the JSON read schema (conversion/read/input_schema.py), the
Parquet schema check, the DDL (warehouse/sql_ddl.py) and the metadata (components/metadata.py) all read this table;
a test proves that every kind is covered by each of them. Pure domain code: no Dagster, no boto3.

Input Arrow types are grouped into families (`family_of`). A kind accepts a family when at least some values of
it can be converted; values that do not fit (an integer out of range, a decimal with more places than the
column keeps, a string that is not a date) reject their record, never rounded. A family a kind does not accept
cannot fit at all: a Parquet file with such a column is quarantined before any row is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # imported where a type is asked for: not by a code location loading the declarations
    import pyarrow as pa

ColumnKind = Literal[
    "string", "json", "boolean", "int16", "int32", "int64", "float32", "float64", "decimal", "date", "time", "timestamp"
]
Dialect = Literal["duckdb", "redshift"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "redshift")
Family = Literal[
    "null", "string", "boolean", "integer", "float", "decimal", "date", "time", "timestamp", "nested", "binary", "other"
]

MAX_DECIMAL_PRECISION = 38  # DECIMAL(38, s) is the widest both warehouses hold
TIME_TEXT_BYTES = 15  # HH:MM:SS.ffffff
STAGED_JSON_BYTES = 65535  # Redshift's VARCHAR(MAX): the longest JSON text a json column can stage


@dataclass(frozen=True)
class Kind:
    """One column kind. SQL and display templates may use {max_bytes}, {precision} and {scale}."""

    name: ColumnKind
    display: str
    accepts: frozenset[Family]  # input families that can hold values of this kind ("null" always can)
    expected: str  # what a schema mismatch says was expected
    sql: Mapping[Dialect, str]  # the warehouse column type
    # When a dialect's COPY cannot load the canonical Parquet into the target type, the staging column type and
    # the expression turning a staged value (`{}`) into the target type. Redshift's Parquet COPY loads no TIME,
    # and loads a string into SUPER as a string.
    staged: Mapping[Dialect, tuple[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    def canonical_type(self, precision: int = 12, scale: int = 2) -> pa.DataType:
        """The Arrow type of this kind in the canonical (lake) Parquet."""
        import pyarrow as pa

        return _CANONICAL[self.name](pa, precision, scale)

    def json_read_type(self, scale: int = 2) -> pa.DataType | None:
        """The type Arrow's JSON reader reads a field of this kind as: one it produces exactly (decimals with
        38 digits, integers as int64, dates and times as text), checked afterwards. None: the field's raw JSON
        value is kept as text instead (json)."""
        import pyarrow as pa

        return _JSON_READ[self.name](pa, scale)


_NUMBERS: frozenset[Family] = frozenset({"integer", "float", "decimal", "string"})
_CANONICAL = {
    "string": lambda pa, p, s: pa.string(),
    "json": lambda pa, p, s: pa.string(),  # JSON text
    "boolean": lambda pa, p, s: pa.bool_(),
    "int16": lambda pa, p, s: pa.int16(),
    "int32": lambda pa, p, s: pa.int32(),
    "int64": lambda pa, p, s: pa.int64(),
    "float32": lambda pa, p, s: pa.float32(),
    "float64": lambda pa, p, s: pa.float64(),
    "decimal": lambda pa, p, s: pa.decimal128(p, s),
    "date": lambda pa, p, s: pa.date32(),
    # ISO text, not Arrow's time64: Redshift's Parquet COPY cannot load a Parquet TIME into any column, so the
    # lake keeps "HH:MM:SS.ffffff" and each warehouse stores it as TIME.
    "time": lambda pa, p, s: pa.string(),
    "timestamp": lambda pa, p, s: pa.timestamp("us", tz="UTC"),
}

# Arrow's JSON reader would silently read a naive timestamp as UTC, so temporal values are read as text and cast
# later with a strict zone check.
_JSON_READ = {
    "string": lambda pa, s: pa.string(),
    "json": lambda pa, s: None,
    "boolean": lambda pa, s: pa.bool_(),
    # an integer column takes 3, 3.0, 3e0 and "3" (the README's kinds table): Arrow reads each of them exactly as
    # a decimal of scale 0 (3.5 and true it refuses: the slow path gives the reason), conversion casts to int64
    "int16": lambda pa, s: pa.decimal128(MAX_DECIMAL_PRECISION, 0),
    "int32": lambda pa, s: pa.decimal128(MAX_DECIMAL_PRECISION, 0),
    "int64": lambda pa, s: pa.decimal128(MAX_DECIMAL_PRECISION, 0),
    "float32": lambda pa, s: pa.float64(),
    "float64": lambda pa, s: pa.float64(),
    "decimal": lambda pa, s: pa.decimal128(MAX_DECIMAL_PRECISION, s),
    "date": lambda pa, s: pa.string(),
    "time": lambda pa, s: pa.string(),
    "timestamp": lambda pa, s: pa.string(),
}

KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            Kind(
                "string",
                "string",
                frozenset({"string"}),
                "a string (string, large_string, string_view or dictionary-encoded)",
                {"duckdb": "VARCHAR", "redshift": "VARCHAR({max_bytes})"},
            ),
            Kind(
                "json",
                "json",
                frozenset({"string", "nested", "boolean", "integer", "float", "decimal"}),
                "JSON text or a nested value (struct, list, map)",
                {"duckdb": "VARCHAR", "redshift": "SUPER"},  # DuckDB keeps JSON as text: its JSON type is an extension
                # a Parquet string COPYed into SUPER stays a string: stage the text, JSON_PARSE it into SUPER
                MappingProxyType({"redshift": (f"VARCHAR({STAGED_JSON_BYTES})", "JSON_PARSE({})")}),
            ),
            Kind(
                "boolean", "boolean", frozenset({"boolean"}), "a boolean", {"duckdb": "BOOLEAN", "redshift": "BOOLEAN"}
            ),
            Kind(
                "int16",
                "smallint",
                _NUMBERS,
                "an integer (any width, signed or not)",
                {"duckdb": "SMALLINT", "redshift": "SMALLINT"},
            ),
            Kind(
                "int32",
                "int",
                _NUMBERS,
                "an integer (any width, signed or not)",
                {"duckdb": "INTEGER", "redshift": "INTEGER"},
            ),
            Kind(
                "int64",
                "bigint",
                _NUMBERS,
                "an integer (any width, signed or not)",
                {"duckdb": "BIGINT", "redshift": "BIGINT"},
            ),
            Kind(
                "float32",
                "float",
                _NUMBERS,
                "a number (float, integer or decimal)",
                {"duckdb": "REAL", "redshift": "REAL"},
            ),
            Kind(
                "float64",
                "double",
                _NUMBERS,
                "a number (float, integer or decimal)",
                {"duckdb": "DOUBLE", "redshift": "DOUBLE PRECISION"},
            ),
            Kind(
                "decimal",
                "decimal({precision},{scale})",
                _NUMBERS,
                "a decimal number (decimal, integer or float)",
                {"duckdb": "DECIMAL({precision},{scale})", "redshift": "DECIMAL({precision},{scale})"},
            ),
            Kind(
                "date",
                "date",
                frozenset({"date", "string"}),
                "a date (date32, date64 or ISO YYYY-MM-DD text)",
                {"duckdb": "DATE", "redshift": "DATE"},
            ),
            Kind(
                "time",
                "time",
                frozenset({"time", "string"}),
                "a time of day (time32, time64 or ISO HH:MM:SS text)",
                {"duckdb": "TIME", "redshift": "TIME"},
                MappingProxyType({"redshift": (f"VARCHAR({TIME_TEXT_BYTES})", "CAST({} AS TIME)")}),
            ),
            Kind(
                "timestamp",
                "timestamp (UTC)",
                frozenset({"timestamp", "string"}),
                "a timestamp (any unit, with a zone or a declared naive_timezone) or ISO-8601 text",
                {"duckdb": "TIMESTAMPTZ", "redshift": "TIMESTAMPTZ"},
            ),
        )
    }
)


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown column kind {name!r}; kinds: {', '.join(KINDS)}") from None


def plain_type(type_: pa.DataType) -> pa.DataType:
    """The value type behind an encoding: a dictionary's values, an extension's storage."""
    import pyarrow as pa

    while True:
        if pa.types.is_dictionary(type_):
            type_ = type_.value_type
        elif isinstance(type_, pa.ExtensionType):
            type_ = type_.storage_type
        else:
            return type_


def family_of(type_: pa.DataType) -> Family:
    """The family of an input Arrow type (dictionary encoding looked through)."""
    import pyarrow as pa

    type_ = plain_type(type_)
    t = pa.types
    if t.is_null(type_):
        return "null"
    if t.is_string(type_) or t.is_large_string(type_) or t.is_string_view(type_):
        return "string"
    if t.is_boolean(type_):
        return "boolean"
    if t.is_integer(type_):
        return "integer"
    if t.is_floating(type_):
        return "float"
    if t.is_decimal(type_):
        return "decimal"
    if t.is_date(type_):
        return "date"
    if t.is_time(type_):
        return "time"
    if t.is_timestamp(type_):
        return "timestamp"
    if t.is_nested(type_):
        return "nested"
    if t.is_binary(type_) or t.is_large_binary(type_) or t.is_binary_view(type_) or t.is_fixed_size_binary(type_):
        return "binary"
    return "other"


def accepts(kind: Kind, type_: pa.DataType) -> bool:
    """Whether an input column of `type_` can hold values of `kind` (its values are still checked one by one)."""
    family = family_of(type_)
    return family == "null" or family in kind.accepts
