"""SQL keeping a derived table (e.g. daily_order_summary) equal to a full rebuild, refreshing only what changed.

A load records, in its own transaction and before its MERGE, the groups its batch touches: the groups of the
target rows its surviving staged keys replace (where an updated order moves OUT of) and the groups of the staged
rows (where it moves to). The derived step then replaces exactly those groups in place (DELETE + INSERT of the
recomputed rows, never DROP/CREATE: grants and dependent views survive), reading only the parent rows of those
groups through a range of the group's column (the parent's sort key). Pure: builds strings, runs nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta

from order_pipeline.datasets.declaration import (
    CHILD_KEY_PLACEHOLDER,
    PARENTS_PLACEHOLDER,
    Column,
    Dataset,
    DerivedTable,
)
from order_pipeline.warehouse.sql_ddl import create_table_sql, from_staged
from order_pipeline.warehouse.sql_keyrange import KeyRange, and_range
from order_pipeline.warehouse.sql_names import Dialect, quote_ident, stage_name

PENDING_KEY = "group_key"
ALL = "1 = 1"


def _q(*names: str) -> str:
    return ".".join(quote_ident(n) for n in names)


def _groups(derived: DerivedTable):  # noqa: ANN202 - DerivedGroups, asserted present
    if derived.groups is None:
        raise ValueError(f"derived table {derived.name!r} declares no groups")
    return derived.groups


def group_of(derived: DerivedTable, value_sql: str) -> str:
    """The group of a parent row, from the SQL expression of its group column."""
    grain = _groups(derived).grain
    if grain == "utc_date":
        return f"CAST({value_sql} AT TIME ZONE 'UTC' AS DATE)"
    raise ValueError(f"derived table {derived.name!r}: unknown grain {grain!r}")


def derived_table_sql(derived: DerivedTable, dialect: Dialect) -> str:
    """The derived table, created once with its declared columns (and sorted on its group key)."""
    sortkey = (derived.groups.key,) if derived.groups else ()
    return create_table_sql(derived.name, derived.columns, dialect, sortkey=sortkey)


def pending_column(derived: DerivedTable) -> Column:
    key = next(c for c in derived.columns if c.name == _groups(derived).key)
    return dataclasses.replace(key, name=PENDING_KEY, nullable=False, description="a group to refresh")


def pending_table_sql(derived: DerivedTable, dialect: Dialect) -> str:
    return create_table_sql(derived.pending_table, (pending_column(derived),), dialect)


def _check_group_column(dataset: Dataset, derived: DerivedTable) -> Column:
    column = next((c for c in dataset.columns if c.name == _groups(derived).column), None)
    if column is None or column.kind != "timestamp" or column.nullable:
        raise ValueError(
            f"derived table {derived.name!r}: its groups follow from {dataset.name}.{_groups(derived).column}, "
            "which must be a declared, required timestamp column"
        )
    return column


def capture_replaced_groups_sql(dataset: Dataset, derived: DerivedTable, key: KeyRange | None = None) -> str:
    """Before the MERGE: the groups of the target rows the surviving staged keys replace (moved-out groups).

    `key` (sql_keyrange): the staged keys' range, bounding the target rows read."""
    _check_group_column(dataset, derived)
    target, stage = dataset.name, stage_name(dataset.name)
    on = " AND ".join(f"{_q('t', c)} = {_q('s', c)}" for c in dataset.merge_key) + and_range(key, "t")
    return (
        f"INSERT INTO {quote_ident(derived.pending_table)} ({quote_ident(PENDING_KEY)}) "
        f"SELECT DISTINCT {group_of(derived, _q('t', _groups(derived).column))} "
        f'FROM {quote_ident(target)} AS "t" JOIN {quote_ident(stage)} AS "s" ON {on}'
    )


def capture_staged_groups_sql(dataset: Dataset, derived: DerivedTable, dialect: Dialect) -> str:
    """The groups of the surviving staged rows (where new and updated rows land)."""
    column = _check_group_column(dataset, derived)
    value = from_staged(column, dialect, _q("s", column.name))
    return (
        f"INSERT INTO {quote_ident(derived.pending_table)} ({quote_ident(PENDING_KEY)}) "
        f'SELECT DISTINCT {group_of(derived, value)} FROM {quote_ident(stage_name(dataset.name))} AS "s"'
    )


def pending_groups_sql(derived: DerivedTable) -> str:
    return f"SELECT DISTINCT {quote_ident(PENDING_KEY)} FROM {quote_ident(derived.pending_table)} ORDER BY 1"


def _date_literal(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def _ts_literal(value: date) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()} 00:00:00+00'"


def derived_scope(derived: DerivedTable, groups: Sequence[date]) -> str:
    """The derived rows of `groups` (a predicate)."""
    if not groups:
        return "1 = 0"
    return f"{quote_ident(_groups(derived).key)} IN ({', '.join(_date_literal(g) for g in sorted(set(groups)))})"


def parent_scope(derived: DerivedTable, groups: Sequence[date]) -> str:
    """The parent rows of `groups`: one half-open range of the group column per run of consecutive dates, so
    sort keys, zone maps and min/max statistics skip the rest of the table."""
    if not groups:
        return "1 = 0"
    column = quote_ident(_groups(derived).column)
    days = sorted(set(groups))
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    ranges = [f"({column} >= {_ts_literal(lo)} AND {column} < {_ts_literal(hi)})" for lo, hi in runs]
    return ranges[0] if len(ranges) == 1 else "(" + " OR ".join(ranges) + ")"


def select_rows_sql(dataset: Dataset, derived: DerivedTable, scope: str = ALL, key: KeyRange | None = None) -> str:
    """The derived rows computed from the parent rows matching `scope` (ALL: the whole table).

    `key` (sql_keyrange): the key range of the parents in scope; where select_sql reads child rows it bounds them
    with it through CHILD_KEY_PLACEHOLDER (a superset filter: no row changes; without a range, `1 = 1`)."""
    parents = (
        quote_ident(dataset.name) if scope == ALL else f"(SELECT * FROM {quote_ident(dataset.name)} WHERE {scope})"
    )
    child_keys = ALL if key is None else key.predicate()
    return derived.select_sql.replace(PARENTS_PLACEHOLDER, parents).replace(CHILD_KEY_PLACEHOLDER, child_keys)


def insert_rows_sql(dataset: Dataset, derived: DerivedTable, scope: str = ALL, key: KeyRange | None = None) -> str:
    names = ", ".join(quote_ident(c.name) for c in derived.columns)
    return f"INSERT INTO {quote_ident(derived.name)} ({names}) {select_rows_sql(dataset, derived, scope, key)}"


def delete_rows_sql(derived: DerivedTable, scope: str = ALL) -> str:
    return f"DELETE FROM {quote_ident(derived.name)} WHERE {scope}"


def delete_pending_sql(derived: DerivedTable, groups: Sequence[date] | None = None) -> str:
    """Forget refreshed groups (None: every pending group, after a full rebuild)."""
    if groups is None:
        return f"DELETE FROM {quote_ident(derived.pending_table)}"
    values = ", ".join(_date_literal(g) for g in sorted(set(groups)))
    return f"DELETE FROM {quote_ident(derived.pending_table)} WHERE {quote_ident(PENDING_KEY)} IN ({values})"


def has_rows_sql(table: str) -> str:
    """1 when `table` holds a row, else 0, without counting them."""
    return f'SELECT COUNT(*) FROM (SELECT 1 FROM {quote_ident(table)} LIMIT 1) AS "any"'


def check_sql(derived: DerivedTable, groups: Sequence[date] | None = None) -> str:
    """The derived table's check, over `groups` (None: the whole table)."""
    if derived.check is None:
        raise ValueError(f"derived table {derived.name!r} declares no check")
    if groups is None:
        scopes = {"{derived_scope}": ALL, "{parent_scope}": ALL}
    else:
        scopes = {"{derived_scope}": derived_scope(derived, groups), "{parent_scope}": parent_scope(derived, groups)}
    sql = derived.check.sql
    for placeholder, predicate in scopes.items():
        sql = sql.replace(placeholder, predicate)
    return sql


def lock_sql(dataset: Dataset, derived: DerivedTable, ledger: str) -> str:
    """Redshift: the refresh locks the dataset's tables and the ledger first, in the load's order (no deadlock
    with a load), then its pending and derived tables."""
    tables = [*dataset.table_names, ledger, *((derived.pending_table,) if derived.groups else ()), derived.name]
    return f"LOCK TABLE {', '.join(quote_ident(t) for t in tables)}"
