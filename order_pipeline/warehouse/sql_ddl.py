"""DDL from a dataset declaration, for DuckDB and Redshift. Pure: builds strings, runs nothing."""

from __future__ import annotations

from collections.abc import Sequence

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.kinds import kind_named
from order_pipeline.warehouse.base import LEDGER_TABLE
from order_pipeline.warehouse.sql_names import FILES_STAGE, Dialect, quote_ident, stage_name

DEFAULT_VARCHAR_BYTES = 256
LEDGER_ERROR_BYTES = 4096

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


def column_type(column: Column, dialect: Dialect, *, staged: bool = False) -> str:
    """The SQL type of a column (datasets/kinds.py); `staged`: of its staging column, which differs where the
    dialect's COPY cannot load the canonical Parquet into the target type."""
    kind = kind_named(column.kind)
    template = kind.staged[dialect][0] if staged and dialect in kind.staged else kind.sql[dialect]
    return template.format(
        max_bytes=column.max_bytes or DEFAULT_VARCHAR_BYTES, precision=column.precision, scale=column.scale
    )


def from_staged(column: Column, dialect: Dialect, value: str) -> str:
    """The SQL expression turning a staged value (an SQL expression) into the target column's type."""
    kind = kind_named(column.kind)
    return kind.staged[dialect][1].format(value) if dialect in kind.staged else value


def column_definitions(
    columns: Sequence[Column], dialect: Dialect, *, constraints: bool = True, staged: bool = False
) -> str:
    parts = []
    for column in columns:
        not_null = " NOT NULL" if constraints and not column.nullable else ""
        parts.append(f"{quote_ident(column.name)} {column_type(column, dialect, staged=staged)}{not_null}")
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
    staged: bool = False,
) -> str:
    """CREATE [TEMP] TABLE; distribution and sort keys only for Redshift. Never a PRIMARY KEY: DuckDB
    merges into a keyed table ~50x slower, and Redshift would not enforce it anyway."""
    _check_keys(name, columns, (distkey,) if distkey else (), "DISTKEY")
    _check_keys(name, columns, sortkey, "SORTKEY")
    head = f"CREATE TEMP TABLE {quote_ident(name)}" if temp else f"CREATE TABLE IF NOT EXISTS {quote_ident(name)}"
    sql = f"{head} ({column_definitions(columns, dialect, constraints=constraints, staged=staged)})"
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
            raise ValueError(
                f"{what} column {key!r} of {table!r} is json (SUPER on Redshift), which cannot be "
                f"a {what}: choose a scalar column"
            )


def dataset_table_sql(dataset: Dataset, table: str, dialect: Dialect) -> str:
    """The target table: parents sorted on event time, children on the merge key; both distributed
    on the first merge key column so parent/child joins stay on one slice."""
    sortkey = (dataset.event_time_column,) if table == dataset.name else dataset.merge_key
    return create_table_sql(table, dataset.table_columns(table), dialect, distkey=dataset.merge_key[0], sortkey=sortkey)


def ledger_table_sql(dialect: Dialect) -> str:
    return create_table_sql(LEDGER_TABLE, LEDGER_COLUMNS, dialect, sortkey=("dataset", "key"))


def staging_table_sql(dataset: Dataset, table: str, dialect: Dialect) -> str:
    """A temp staging table in canonical column order (COPY from Parquet maps columns by position)."""
    return create_table_sql(
        stage_name(table),
        dataset.table_columns(table),
        dialect,
        temp=True,
        constraints=False,
        distkey=dataset.merge_key[0],
        staged=True,
    )


def files_stage_sql(dialect: Dialect) -> str:
    return create_table_sql(FILES_STAGE, FILES_STAGE_COLUMNS, dialect, temp=True, diststyle_all=True)


def add_column_sql(table: str, column: Column, dialect: Dialect) -> str:
    """Schema evolution: a newly declared column is always added nullable (old rows have no value)."""
    column_sql = f"{quote_ident(column.name)} {column_type(column, dialect)}"
    return f"ALTER TABLE {quote_ident(table)} ADD COLUMN {column_sql}"


def existing_columns_sql() -> str:
    """Columns of a table in the current schema; one bound parameter: the table name."""
    return "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"


def drop_temp_sql(name: str) -> str:
    """Drop a temp table this session made: only once it is known to exist (own_temp_tables_sql), since DROP
    TABLE IF EXISTS of a name without a temp table would drop a permanent table of that name."""
    return f"DROP TABLE IF EXISTS {quote_ident(name)}"


def own_temp_tables_sql(names: int, dialect: Dialect) -> str:
    """Which of `names` (bound parameters) are temp tables of this session: a permanent table of the same name is
    not. On Redshift (and PostgreSQL) a session's temp tables are in its pg_temp_N schema, the only temp schema
    its search path sees (pg_table_is_visible); DuckDB lists them as temporary."""
    if names < 1:
        raise ValueError("at least one name")
    listed = ", ".join("?" for _ in range(names))
    if dialect == "duckdb":
        return f"SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name IN ({listed})"
    return (
        "SELECT c.relname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
        f"WHERE LEFT(n.nspname, 8) = 'pg_temp_' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relname IN ({listed})"
    )
