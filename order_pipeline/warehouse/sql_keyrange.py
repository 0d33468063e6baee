"""A batch's merge-key range as constant predicates, so a join on the merge key reads only the part of a big
table the batch can touch. Pure: builds strings, runs nothing.

A join on a key reads the whole table on DuckDB (no index is used for a join) and lets neither engine skip
blocks. A constant range on the same key (`"t"."order_id" BETWEEN 'a' AND 'b'`) is what zone maps (DuckDB's
row-group min/max, Redshift's blocks on the sort key) prune with. The range is read from the staged keys (or
from the parents in scope) first and inlined as literals. It is only ever a superset filter: every row the
join can match lies inside it, so no result changes. For a composite merge key the range bounds the first
column only (still a superset). A key kind with no safe literal, a value the literal helper refuses, or an
empty source gives no range (None): the statements then run without it, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.warehouse.sql_names import quote_ident, quote_literal

_INTEGER_KINDS = frozenset({"int16", "int32", "int64"})


@dataclass(frozen=True)
class KeyRange:
    """`column BETWEEN low AND high`, both bounds already SQL literals."""

    column: str
    low: str
    high: str

    def predicate(self, table: str | None = None) -> str:
        """The range on `table`'s key column (unqualified when None)."""
        column = quote_ident(self.column) if table is None else f"{quote_ident(table)}.{quote_ident(self.column)}"
        return f"{column} BETWEEN {self.low} AND {self.high}"


def range_column(dataset: Dataset) -> str:
    """The column a key range bounds: the first merge-key column."""
    return dataset.merge_key[0]


def key_bounds_sql(dataset: Dataset, table: str, scope: str | None = None) -> str:
    """MIN and MAX of the range column in `table` (rows matching `scope`, a predicate, when given), and the count.

    The COUNT(*) is there on purpose: with only MIN/MAX, PostgreSQL (the tests' Redshift endpoint) rewrites the
    query into a walk of the key's index from one end, filtering on `scope`, which reads most of the table when
    the rows in scope hold the newest keys; any other aggregate makes it read just the rows in scope."""
    column = quote_ident(range_column(dataset))
    where = f" WHERE {scope}" if scope else ""
    return f"SELECT MIN({column}), MAX({column}), COUNT(*) FROM {quote_ident(table)}{where}"


def _literal(kind: str, value: Any) -> str | None:
    if kind == "string" and isinstance(value, str):
        try:
            return quote_literal(value)
        except ValueError:  # a backslash or control character: no range rather than a risky literal
            return None
    if kind in _INTEGER_KINDS and isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    return None


def key_range(dataset: Dataset, low: Any, high: Any) -> KeyRange | None:
    """The range from the bounds key_bounds_sql read; None when there is none or it cannot be inlined safely."""
    if low is None or high is None:
        return None
    name = range_column(dataset)
    kind = next(c.kind for c in dataset.columns if c.name == name)
    low_sql, high_sql = _literal(kind, low), _literal(kind, high)
    if low_sql is None or high_sql is None:
        return None
    return KeyRange(name, low_sql, high_sql)


def and_range(key: KeyRange | None, table: str | None = None) -> str:
    """` AND <range>` to append to a join condition or WHERE clause, or nothing without a range."""
    return "" if key is None else f" AND {key.predicate(table)}"
