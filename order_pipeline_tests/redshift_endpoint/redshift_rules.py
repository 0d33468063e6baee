"""Statements PostgreSQL accepts and Redshift refuses: the endpoint refuses them too, before PostgreSQL sees them.

Each rule answers with Redshift's SQLSTATE and wording where a public source shows them (see
docs/redshift-compatibility.md, which lists every rule, its source, and where the wording is our best guess).
Rules run on masked text (sql_text.Masked): literals, quoted identifiers and comments never trigger them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from order_pipeline_tests.redshift_endpoint.ddl_columns import column_types
from order_pipeline_tests.redshift_endpoint.sql_text import Masked, first_word

REDSHIFT_MAX_IDENTIFIER_BYTES = 127
POSTGRES_MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: longer names would be silently truncated here


@dataclass(frozen=True)
class Rejection:
    rule: str
    sqlstate: str
    message: str


def _syntax_error(rule: str, token: str) -> Rejection:
    return Rejection(rule, "42601", f'syntax error at or near "{token}"')


def _search(masked: Masked, pattern: str) -> re.Match[str] | None:
    return re.search(pattern, masked.upper)


def _on_conflict(masked: Masked, _: bool) -> Rejection | None:
    if first_word(masked) == "INSERT" and _search(masked, r"\bON\s+CONFLICT\b"):
        return _syntax_error("on_conflict", "ON")
    return None


def _returning(masked: Masked, _: bool) -> Rejection | None:
    if first_word(masked) in {"INSERT", "UPDATE", "DELETE", "MERGE"} and _search(masked, r"\bRETURNING\b"):
        return _syntax_error("returning", "RETURNING")
    return None


def _distinct_on(masked: Masked, _: bool) -> Rejection | None:
    if _search(masked, r"\bDISTINCT\s+ON\s*\("):
        return Rejection("distinct_on", "0A000", "SELECT DISTINCT ON is not supported")
    return None


# PostgreSQL aggregate and JSON functions Redshift does not have (its own: LISTAGG, JSON_PARSE, JSON_SERIALIZE ...).
_MISSING_FUNCTIONS = (
    "string_agg",
    "array_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "to_json",
    "to_jsonb",
    "jsonb_set",
    "jsonb_path_query",
    "json_populate_record",
    "json_populate_recordset",
    "jsonb_populate_record",
    "row_to_json",
)


def _missing_function(masked: Masked, _: bool) -> Rejection | None:
    found = re.search(rf"\b({'|'.join(_MISSING_FUNCTIONS)})\s*\(", masked.text, re.IGNORECASE)
    if found:
        return Rejection("postgres_only_function", "42883", f"function {found.group(1).lower()} does not exist")
    return None


_UNSUPPORTED_TYPES = {
    "SERIAL",
    "BIGSERIAL",
    "SMALLSERIAL",
    "SERIAL4",
    "SERIAL8",
    "SERIAL2",
    "JSON",
    "JSONB",
    "UUID",
    "BYTEA",
    "MONEY",
    "INET",
    "CIDR",
    "XML",
    "TSVECTOR",
}


def _column_type(masked: Masked, _: bool) -> Rejection | None:
    """`Column "t.c" has unsupported type "serial".` (SQLSTATE 0A000), as Redshift answers CREATE TABLE."""
    for column in column_types(masked):
        words = column.text(masked).strip().split()
        name = re.sub(r"\(.*", "", words[0]).upper() if words else ""
        if name in _UNSUPPORTED_TYPES or (words and words[-1].upper() == "[]") or "[" in column.text(masked):
            shown = name.lower() if name in _UNSUPPORTED_TYPES else column.text(masked).strip().lower()
            return Rejection(
                "unsupported_column_type",
                "0A000",
                f'Column "{column.table}.{column.column}" has unsupported type "{shown}".',
            )
    return None


def _cast_type(masked: Masked, _: bool) -> Rejection | None:
    found = re.search(r"::\s*(JSONB?)\b|\bAS\s+(JSONB?)\s*\)", masked.upper)  # a cast, not an alias
    if found:
        name = (found.group(1) or found.group(2)).lower()
        return Rejection("postgres_only_type", "42704", f'type "{name}" does not exist')
    return None


def _create_index(masked: Masked, _: bool) -> Rejection | None:
    if re.match(r"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b", masked.upper):
        return Rejection("create_index", "0A000", "CREATE INDEX is not supported")
    return None


def _merge(masked: Masked, _: bool) -> Rejection | None:
    """Redshift's MERGE: one WHEN MATCHED (UPDATE or DELETE) and one WHEN NOT MATCHED (INSERT), no conditions."""
    if first_word(masked) != "MERGE":
        return None
    text = masked.upper
    extra = re.search(r"\bWHEN\s+(?:NOT\s+)?MATCHED\s+(AND|BY)\b", text)
    if extra:
        return _syntax_error("merge_clauses", extra.group(1))
    if len(re.findall(r"\bWHEN\s+MATCHED\b", text)) > 1 or len(re.findall(r"\bWHEN\s+NOT\s+MATCHED\b", text)) > 1:
        return _syntax_error("merge_clauses", "WHEN")
    if re.search(r"\bTHEN\s+DO\s+NOTHING\b", text):
        return _syntax_error("merge_clauses", "DO")
    return None


def _alter_table(masked: Masked, in_transaction: bool) -> Rejection | None:
    if not re.match(r"\s*ALTER\s+TABLE\b", masked.upper):
        return None
    if len(re.findall(r"\bADD\b", masked.upper)) > 1:  # ADD COLUMN adds one column per ALTER TABLE
        return _syntax_error("alter_table_one_column", ",")
    if in_transaction:
        found = re.search(r"\bALTER\s+(?:COLUMN\s+)?\S+\s+TYPE\b|\bAPPEND\s+FROM\b", masked.upper)
        if found:
            what = "ALTER TABLE APPEND" if "APPEND" in found.group(0) else "ALTER TABLE ALTER COLUMN TYPE"
            return Rejection("alter_in_transaction", "25001", f"{what} cannot run inside a transaction block")
    return None


# Redshift's system columns (PostgreSQL 15 has no `oid`, `insertxid` or `deletexid` column any more).
_SYSTEM_COLUMNS = {"oid", "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "insertxid", "deletexid"}


def _system_column(masked: Masked, _: bool) -> Rejection | None:
    """`column name "oid" conflicts with a system column name` (SQLSTATE 42701), as PostgreSQL words it."""
    for column in column_types(masked):
        if column.column in _SYSTEM_COLUMNS:
            return Rejection(
                "system_column_name", "42701", f'column name "{column.column}" conflicts with a system column name'
            )
    return None


def _lock(masked: Masked, _: bool) -> Rejection | None:
    if first_word(masked) == "LOCK":
        found = re.search(r"\b(IN|NOWAIT)\b", masked.upper)
        if found:
            return _syntax_error("lock_mode", found.group(1))
    return None


def _identifier_length(masked: Masked, _: bool) -> Rejection | None:
    for identifier in masked.identifiers():
        size = len(identifier.name.encode("utf-8"))
        if size > REDSHIFT_MAX_IDENTIFIER_BYTES:
            return Rejection(
                "identifier_bytes",
                "42622",
                f'identifier "{identifier.name[:40]}..." is {size} bytes; Redshift allows at most '
                f"{REDSHIFT_MAX_IDENTIFIER_BYTES}",
            )
        if size > POSTGRES_MAX_IDENTIFIER_BYTES:
            return Rejection(
                "identifier_bytes",
                "XX000",
                f'identifier "{identifier.name[:40]}..." is {size} bytes: valid on Redshift, but the '
                f"local endpoint (PostgreSQL) would truncate it to {POSTGRES_MAX_IDENTIFIER_BYTES}",
            )
    return None


RULES: tuple[Callable[[Masked, bool], Rejection | None], ...] = (
    _identifier_length,
    _on_conflict,
    _returning,
    _distinct_on,
    _missing_function,
    _column_type,
    _system_column,
    _cast_type,
    _create_index,
    _merge,
    _alter_table,
    _lock,
)


def check_statement(sql: str, *, in_transaction: bool = False) -> Rejection | None:
    """The first Redshift rule `sql` breaks, or None."""
    masked = Masked(sql)
    for rule in RULES:
        rejection = rule(masked, in_transaction)
        if rejection is not None:
            return rejection
    return None
