"""The upsert of a staged batch, as SQL shared by DuckDB and Redshift. Pure: builds strings, runs nothing.

Order inside the load transaction (staging tables already filled):
  0. (Redshift) LOCK the target, child and ledger tables as the transaction's first statement, so that under
     SNAPSHOT isolation a concurrent load of the same new key waits and then sees it, instead of inserting it
     twice (the lock must come before the first statement that takes the transaction's snapshot);
  1. de-duplicate staged parents: latest version, then later file (file_seq), then later record wins (a dataset
     without a version column orders on its files' landing time: Dataset.ordering_column);
  2. delete staged parents the target already holds in a strictly newer version (stale);
  3. MERGE the survivors (the source is a plain table: Redshift allows no subquery there and no extra
     condition on WHEN MATCHED, which is why 1 and 2 delete from staging first);
  4. replace each surviving parent's children by the staged children of exactly the winning version;
  5. insert ledger rows for every file of the batch, never twice for one (dataset, key, etag).
Every value is a bound `?` parameter; every identifier is validated and double-quoted. A column whose kind is
staged in another type (sql_ddl.from_staged: json as text, then JSON_PARSE into SUPER on Redshift, since a Parquet
string COPYed into SUPER would stay a string; TIME as text on Redshift) is converted when it leaves staging.
"""

from __future__ import annotations

from collections.abc import Sequence

from order_pipeline.datasets.declaration import SOURCE_FILE_COLUMN, SOURCE_RECORD_COLUMN, Column, Dataset
from order_pipeline.warehouse.base import LEDGER_TABLE
from order_pipeline.warehouse.sql_ddl import FILES_STAGE_COLUMNS, LEDGER_COLUMNS, from_staged
from order_pipeline.warehouse.sql_keyrange import KeyRange, and_range
from order_pipeline.warehouse.sql_names import FILES_STAGE, Dialect, losers_name, quote_ident, stage_name

_LINEAGE = (SOURCE_FILE_COLUMN, SOURCE_RECORD_COLUMN)


def _q(*names: str) -> str:
    return ".".join(quote_ident(n) for n in names)


def _equal(left: str, right: str, columns: Sequence[str]) -> str:
    return " AND ".join(f"{_q(left, c)} = {_q(right, c)}" for c in columns)


def _staged_value(table: str, column: Column, dialect: Dialect) -> str:
    """A staged column as the target stores it."""
    return from_staged(column, dialect, _q(table, column.name))


def lock_tables_sql(dataset: Dataset) -> str:
    """Redshift's LOCK (ACCESS EXCLUSIVE) on the dataset's tables and the ledger, always in this order."""
    return f"LOCK TABLE {', '.join(quote_ident(t) for t in (*dataset.table_names, LEDGER_TABLE))}"


def insert_files_sql(rows: int) -> str:
    """Multi-row INSERT of the batch's files (one statement, not one round trip per file)."""
    if rows < 1:
        raise ValueError("a batch has at least one file")
    row = "(" + ", ".join("?" for _ in FILES_STAGE_COLUMNS) + ")"
    names = ", ".join(quote_ident(c.name) for c in FILES_STAGE_COLUMNS)
    return f"INSERT INTO {quote_ident(FILES_STAGE)} ({names}) VALUES " + ", ".join([row] * rows)


def count_sql(table: str) -> str:
    return f"SELECT COUNT(*) FROM {quote_ident(table)}"


def dedup_losers_sql(dataset: Dataset) -> str:
    """A temp table naming the staged parents that lose to another staged version of the same key."""
    stage, key = stage_name(dataset.name), dataset.merge_key
    partition = ", ".join(_q("s", c) for c in key)
    order = (
        f"{_q('s', dataset.ordering_column)} DESC NULLS LAST, {_q('f', 'file_seq')} DESC, "
        f"{_q('s', SOURCE_RECORD_COLUMN)} DESC"
    )
    ident = [*key, *_LINEAGE]
    inner = ", ".join(_q("s", c) for c in ident)
    outer = ", ".join(_q("r", c) for c in ident)
    return (
        f"CREATE TEMP TABLE {quote_ident(losers_name(dataset.name))} AS SELECT {outer} FROM ("
        f'SELECT {inner}, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {order}) AS "_rank" '
        f'FROM {quote_ident(stage)} AS "s" JOIN {quote_ident(FILES_STAGE)} AS "f" '
        f'ON {_q("f", "uri")} = {_q("s", SOURCE_FILE_COLUMN)}) AS "r" WHERE {_q("r", "_rank")} > 1'
    )


def dedup_delete_sql(dataset: Dataset) -> str:
    stage, losers = stage_name(dataset.name), losers_name(dataset.name)
    return (
        f"DELETE FROM {quote_ident(stage)} USING {quote_ident(losers)} "
        f"WHERE {_equal(losers, stage, (*dataset.merge_key, *_LINEAGE))}"
    )


def stale_delete_sql(dataset: Dataset, key: KeyRange | None = None) -> str:
    """Out-of-order arrival must not regress a row: drop staged parents older than the target's.

    `key` (sql_keyrange): the staged keys' range, bounding the target rows read."""
    stage, target, version = stage_name(dataset.name), dataset.name, dataset.ordering_column
    return (
        f"DELETE FROM {quote_ident(stage)} USING {quote_ident(target)} "
        f"WHERE {_equal(target, stage, dataset.merge_key)}{and_range(key, target)} "
        f"AND {_q(target, version)} > {_q(stage, version)}"
    )


def matched_count_sql(dataset: Dataset, key: KeyRange | None = None) -> str:
    """How many surviving staged parents replace an existing row (the rest are inserts)."""
    stage, target = stage_name(dataset.name), dataset.name
    return (
        f"SELECT COUNT(*) FROM {quote_ident(stage)} JOIN {quote_ident(target)} "
        f"ON {_equal(target, stage, dataset.merge_key)}{and_range(key, target)}"
    )


def merge_sql(dataset: Dataset, dialect: Dialect = "duckdb", key: KeyRange | None = None) -> str:
    """MERGE the de-duplicated, non-stale staged parents; no target alias (Redshift allows none).

    `key` bounds the target rows in ON: every staged key lies inside it, so what matches is unchanged."""
    stage, target = stage_name(dataset.name), dataset.name
    columns = dataset.table_columns()
    updates = ", ".join(
        f"{quote_ident(c.name)} = {_staged_value('s', c, dialect)}" for c in columns if c.name not in dataset.merge_key
    )
    on = " AND ".join(f"{_q(target, c)} = {_q('s', c)}" for c in dataset.merge_key) + and_range(key, target)
    return (
        f'MERGE INTO {quote_ident(target)} USING {quote_ident(stage)} AS "s" ON {on} '
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(quote_ident(c.name) for c in columns)}) "
        f"VALUES ({', '.join(_staged_value('s', c, dialect) for c in columns)})"
    )


def replace_sql(dataset: Dataset, dialect: Dialect = "duckdb", key: KeyRange | None = None) -> list[str]:
    """The MERGE's result as DELETE + INSERT, for DuckDB: its MERGE keeps every updated row's old and new versions
    in memory it cannot spill (a 1.5M-order update took 3.4 GB, and failed under a 1 GB memory_limit), while a
    delete only marks rows and an insert spills. Equivalent because the MERGE replaces every column but the key."""
    stage, target = stage_name(dataset.name), dataset.name
    columns = dataset.table_columns()
    return [
        f'DELETE FROM {quote_ident(target)} USING {quote_ident(stage)} AS "s" '
        f"WHERE {_equal(target, 's', dataset.merge_key)}{and_range(key, target)}",
        f"INSERT INTO {quote_ident(target)} ({', '.join(quote_ident(c.name) for c in columns)}) "
        f'SELECT {", ".join(_staged_value("s", c, dialect) for c in columns)} FROM {quote_ident(stage)} AS "s"',
    ]


def child_delete_sql(dataset: Dataset, child: str, key: KeyRange | None = None) -> str:
    """Every existing child row of a surviving parent goes: children are replaced as a whole."""
    parents = stage_name(dataset.name)
    return (
        f"DELETE FROM {quote_ident(child)} USING {quote_ident(parents)} "
        f"WHERE {_equal(child, parents, dataset.merge_key)}{and_range(key, child)}"
    )


def _winning_children(dataset: Dataset, child: str) -> str:
    parents, stage = stage_name(dataset.name), stage_name(child)
    return (
        f"FROM {quote_ident(stage)} JOIN {quote_ident(parents)} "
        f"ON {_equal(stage, parents, (*dataset.merge_key, *_LINEAGE))}"
    )


def child_insert_sql(dataset: Dataset, child: str, dialect: Dialect = "duckdb") -> str:
    """The staged children of exactly the winning parent version (same key, file and record)."""
    stage = stage_name(child)
    columns = dataset.table_columns(child)
    return (
        f"INSERT INTO {quote_ident(child)} ({', '.join(quote_ident(c.name) for c in columns)}) "
        f"SELECT {', '.join(_staged_value(stage, c, dialect) for c in columns)} {_winning_children(dataset, child)}"
    )


def child_count_sql(dataset: Dataset, child: str) -> str:
    """How many child rows child_insert_sql writes."""
    return f"SELECT COUNT(*) {_winning_children(dataset, child)}"


def ledger_insert_sql() -> str:
    """Ledger rows for every batch file. Parameters: dataset, partition, run_id, loaded_at, dataset.

    NOT EXISTS guards against a second row for a (dataset, key, etag) the ledger already holds.
    """
    names = [c.name for c in LEDGER_COLUMNS]
    from_files = {"bucket", "key", "etag", "size", "last_modified", "rows", "status", "error"}
    values = {"dataset": "?", "partition": "?", "run_id": "?", "loaded_at": "?"}
    select = ", ".join(_q("f", c) if c in from_files else values[c] for c in names)
    return (
        f"INSERT INTO {quote_ident(LEDGER_TABLE)} ({', '.join(quote_ident(c) for c in names)}) "
        f'SELECT {select} FROM {quote_ident(FILES_STAGE)} AS "f" WHERE NOT EXISTS ('
        f'SELECT 1 FROM {quote_ident(LEDGER_TABLE)} AS "l" WHERE {_q("l", "dataset")} = ? '
        f"AND {_q('l', 'key')} = {_q('f', 'key')} AND {_q('l', 'etag')} = {_q('f', 'etag')})"
    )


def ledger_table_exists_sql() -> str:
    """1 when the ledger table exists in the current schema (a fresh warehouse has none). Parameter: its name."""
    return "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"


def ledger_partitions_sql(partitions: int) -> str:
    """(partition, key, etag) of every ledger row of a dataset in `partitions` dates. Parameters: dataset, dates."""
    if partitions < 1:
        raise ValueError("at least one partition")
    dates = ", ".join("?" for _ in range(partitions))
    return (
        f"SELECT {quote_ident('partition')}, {quote_ident('key')}, {quote_ident('etag')} "
        f"FROM {quote_ident(LEDGER_TABLE)} WHERE {quote_ident('dataset')} = ? "
        f"AND {quote_ident('partition')} IN ({dates})"
    )


def ledger_statuses_sql(keys: int) -> str:
    """(key, etag, status) of a dataset's ledger rows for `keys` landing keys. Parameters: dataset, then keys."""
    if keys < 1:
        raise ValueError("at least one key")
    placeholders = ", ".join("?" for _ in range(keys))
    return (
        f"SELECT {quote_ident('key')}, {quote_ident('etag')}, {quote_ident('status')} "
        f"FROM {quote_ident(LEDGER_TABLE)} WHERE {quote_ident('dataset')} = ? "
        f"AND {quote_ident('key')} IN ({placeholders})"
    )
