"""Names a dataset may not take because the warehouse or Redshift already uses them (issue 25, item 12). Pure.

* System columns: Redshift (like PostgreSQL) gives every table hidden columns; a user column of that name is
  refused by CREATE TABLE and ALTER TABLE ADD COLUMN, so an evolved field named so would break every later
  table setup. Quoting does not help.
* Internal tables: the load's temporary tables are `stage_<table>` (sql_names.stage_name) and names holding a
  `$`; the ledger is `file_ledger`. No dataset, child or derived table may take such a name, so an internal
  name can never be a dataset's table, and two internal names never coincide.
"""

from __future__ import annotations

SYSTEM_COLUMNS = frozenset({"oid", "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "insertxid", "deletexid"})
INTERNAL_TABLE_PREFIX = "stage_"
INTERNAL_MARK = "$"
LEDGER_TABLE_NAME = "file_ledger"


def column_name_problem(name: str) -> str | None:
    """Why a column may not be called `name`, or None."""
    if name.lower() in SYSTEM_COLUMNS:
        return f"{name!r} is a Redshift system column name ({', '.join(sorted(SYSTEM_COLUMNS))})"
    return None


def table_name_problem(name: str) -> str | None:
    """Why a dataset's (or child or derived) table may not be called `name`, or None."""
    if name.startswith(INTERNAL_TABLE_PREFIX):
        return f"{name!r} starts with {INTERNAL_TABLE_PREFIX!r}, which is kept for the load's staging tables"
    if INTERNAL_MARK in name:
        return f"{name!r} holds {INTERNAL_MARK!r}, which is kept for the load's internal tables"
    if name == LEDGER_TABLE_NAME:
        return f"{name!r} is the file ledger's table"
    return None
