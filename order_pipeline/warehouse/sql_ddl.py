"""DDL from a dataset declaration, for DuckDB and Redshift. Pure: builds strings, runs nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.warehouse.base import LEDGER_TABLE
from order_pipeline.warehouse.sql_names import FILES_STAGE, Dialect, quote_ident, stage_name

DEFAULT_VARCHAR_BYTES = 256
LEDGER_ERROR_BYTES = 4096
STAGED_JSON_BYTES = 65535  # Redshift's VARCHAR(MAX): the longest JSON text a json column can stage

# The file ledger: one row per landing file version ever handled, whatever its fate.
LEDGER_COLUMNS: tuple[Column, ...] = (
    Column("dataset", "string", nullable=False, max_bytes=127),
    Column("bucket", "string", nullable=False, max_bytes=255),
    Column("key", "string", nullable=False, max_bytes=1024),
    Column("etag", "string", nullable=False, max_bytes=256),
    Column("size", "int64"),
    Column("last_modified", "timestamp"),
    Column("partition", "string", max_bytes=64),
    Column("rows", "int64"),
    Column("status", "string", nullable=False, max_bytes=16),
    Column("error", "string", max_bytes=LEDGER_ERROR_BYTES),
    Column("run_id", "string", max_bytes=256),
    Column("loaded_at", "timestamp", nullable=False),
)

# The batch's files during a load: file_seq orders ties; uri is what `_source_file` holds.
FILES_STAGE_COLUMNS: tuple[Column, ...] = (
    Column("file_seq", "int32", nullable=False),
    Column("uri", "string", nullable=False, max_bytes=1300),
    Column("bucket", "string", nullable=False, max_bytes=255),
    Column("key", "string", nullable=False, max_bytes=1024),
    Column("etag", "string", nullable=False, max_bytes=256),
    Column("size", "int64"),
    Column("last_modified", "timestamp"),
    Column("rows", "int64"),
    Column("status", "string", nullable=False, max_bytes=16),
    Column("error", "string", max_bytes=LEDGER_ERROR_BYTES),
)


def column_type(column: Column, dialect: Dialect) -> str:
    kind = column.kind
    if kind == "string":
        return f"VARCHAR({column.max_bytes or DEFAULT_VARCHAR_BYTES})" if dialect == "redshift" else "VARCHAR"
    if kind == "json":
        # DuckDB keeps JSON as text: its JSON type is an extension we must not depend on.
        return "SUPER" if dialect == "redshift" else "VARCHAR"
    if kind == "int32":
        return "INTEGER"
    if kind == "int64":
        return "BIGINT"
    if kind == "decimal":
        return f"DECIMAL({column.precision},{column.scale})"
    if kind == "timestamp":
        return "TIMESTAMPTZ"
    if kind == "boolean":
        return "BOOLEAN"
    raise ValueError(f"unknown column kind {kind!r} for column {column.name!r}")


def column_definitions(columns: Sequence[Column], dialect: Dialect, *, constraints: bool = True) -> str:
    parts = []
    for column in columns:
        not_null = " NOT NULL" if constraints and not column.nullable else ""
        parts.append(f"{quote_ident(column.name)} {column_type(column, dialect)}{not_null}")
    return ", ".join(parts)


def create_table_sql(
    name: str,
    columns: Sequence[Column],
    dialect: Dialect,
    *,
    temp: bool = False,
    constraints: bool = True,
    distkey: str | None = None,
    diststyle_all: bool = False,
    sortkey: Sequence[str] = (),
) -> str:
    """CREATE [TEMP] TABLE; distribution and sort keys only for Redshift. Never a PRIMARY KEY: DuckDB
    merges into a keyed table ~50x slower, and Redshift would not enforce it anyway."""
    _check_keys(name, columns, (distkey,) if distkey else (), "DISTKEY")
    _check_keys(name, columns, sortkey, "SORTKEY")
    head = (
        f"CREATE TEMP TABLE {quote_ident(name)}"
        if temp
        else f"CREATE TABLE IF NOT EXISTS {quote_ident(name)}"
    )
    sql = f"{head} ({column_definitions(columns, dialect, constraints=constraints)})"
    if dialect == "redshift":
        if diststyle_all:
            sql += " DISTSTYLE ALL"
        elif distkey:
            sql += f" DISTKEY ({quote_ident(distkey)})"
        if sortkey:
            sql += f" SORTKEY ({', '.join(quote_ident(c) for c in sortkey)})"
    return sql


def _check_keys(table: str, columns: Sequence[Column], keys: Sequence[str], what: str) -> None:
    """Redshift refuses a SUPER column as DISTKEY or SORTKEY: say so here, for both dialects alike."""
    kinds = {column.name: column.kind for column in columns}
    for key in keys:
        if key not in kinds:
            raise ValueError(f"{what} column {key!r} is not a column of {table!r}")
        if kinds[key] == "json":
            raise ValueError(f"{what} column {key!r} of {table!r} is json (SUPER on Redshift), which cannot be "
                             f"a {what}: choose a scalar column")


def staging_columns(columns: Sequence[Column], dialect: Dialect) -> tuple[Column, ...]:
    """Staging holds json columns as text on Redshift: COPY would keep a Parquet string in SUPER as a string,
    so the upsert JSON_PARSEs the staged text into the target's SUPER column instead."""
    if dialect != "redshift":
        return tuple(columns)
    return tuple(dataclasses.replace(c, kind="string", max_bytes=STAGED_JSON_BYTES) if c.kind == "json" else c
                 for c in columns)


def dataset_table_sql(dataset: Dataset, table: str, dialect: Dialect) -> str:
    """The target table: parents sorted on event time, children on the merge key; both distributed
    on the first merge key column so parent/child joins stay on one slice."""
    sortkey = (dataset.event_time_column,) if table == dataset.name else dataset.merge_key
    return create_table_sql(
        table, dataset.table_columns(table), dialect, distkey=dataset.merge_key[0], sortkey=sortkey
    )


def ledger_table_sql(dialect: Dialect) -> str:
    return create_table_sql(LEDGER_TABLE, LEDGER_COLUMNS, dialect, sortkey=("dataset", "key"))


def staging_table_sql(dataset: Dataset, table: str, dialect: Dialect) -> str:
    """A temp staging table in canonical column order (COPY from Parquet maps columns by position)."""
    return create_table_sql(
        stage_name(table),
        staging_columns(dataset.table_columns(table), dialect),
        dialect,
        temp=True,
        constraints=False,
        distkey=dataset.merge_key[0],
    )


def files_stage_sql(dialect: Dialect) -> str:
    return create_table_sql(FILES_STAGE, FILES_STAGE_COLUMNS, dialect, temp=True, diststyle_all=True)


def add_column_sql(table: str, column: Column, dialect: Dialect) -> str:
    """Schema evolution: a newly declared column is always added nullable (old rows have no value)."""
    column_sql = f"{quote_ident(column.name)} {column_type(column, dialect)}"
    return f"ALTER TABLE {quote_ident(table)} ADD COLUMN {column_sql}"


def existing_columns_sql() -> str:
    """Columns of a table in the current schema; one bound parameter: the table name."""
    return (
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ?"
    )


def drop_temp_sql(name: str) -> str:
    return f"DROP TABLE IF EXISTS {quote_ident(name)}"


def rebuild_table_sql(table: str, select_sql: str) -> list[str]:
    """Statements replacing a derived table with the rows of `select_sql` (run them in one transaction)."""
    return [f"DROP TABLE IF EXISTS {quote_ident(table)}", f"CREATE TABLE {quote_ident(table)} AS {select_sql}",
            f"SELECT COUNT(*) FROM {quote_ident(table)}"]
