"""Redshift's PartiQL navigation into SUPER values, emulated on PostgreSQL's jsonb (which stores SUPER here).

In a SELECT, `t.col.field[0].name` or `col.field` where `col` is a SUPER column becomes
`(t.col -> 'field' -> 0 -> 'name')`. Unquoted field names fold to lower case, as Redshift's do. The result is
jsonb, sent to the client as JSON text, as Redshift sends SUPER values. Limits (documented, not needed by the
pipeline): navigation in WHERE/JOIN compares jsonb, not Redshift's dynamically typed values; UNNEST and
PIVOT are not emulated; a table alias named like a SUPER column is read as the column when only two parts are
given.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from order_pipeline_tests.redshift_endpoint.sql_text import IDENT, Masked, first_word

_SEGMENT = rf"(?:\s*\.\s*{IDENT}|\s*\[\s*\d+\s*\])"
_CHAIN = re.compile(rf"(?<![\w$.\x00]){IDENT}{_SEGMENT}+")
_PART = re.compile(rf"\[\s*(\d+)\s*\]|{IDENT}")


def rewrite_paths(sql: str, super_columns: Callable[[set[str]], set[str]]) -> str:
    """`sql` with navigation into SUPER columns written as jsonb operators (SELECT statements only).
    `super_columns(names)` says which of `names` are SUPER columns (it is asked only when a chain exists)."""
    masked = Masked(sql)
    chains = list(_CHAIN.finditer(masked.text)) if first_word(masked) in {"SELECT", "WITH"} else []
    if not chains:
        return sql
    candidates = set()
    for chain in chains:
        for part in [p.group(0) for p in _PART.finditer(chain.group(0))][:2]:
            found = masked.identifier(part)
            if found:
                candidates.add(found.name)
    known = super_columns(candidates)
    if not known:
        return sql

    def names(parts: list[str]) -> list[str | None]:
        out: list[str | None] = []
        for part in parts:
            found = masked.identifier(part)
            out.append(found.name if found else None)
        return out

    def replace(match: re.Match[str]) -> str:
        parts = [p.group(0) for p in _PART.finditer(match.group(0))]
        folded = names(parts)
        if len(parts) >= 3 and folded[1] in known and not parts[1].startswith("["):
            base, path = parts[:2], parts[2:]
        elif folded[0] in known:
            base, path = parts[:1], parts[1:]
        else:
            return match.group(0)
        steps = []
        for part, name in zip(path, names(path), strict=True):
            index = re.fullmatch(r"\[\s*(\d+)\s*\]", part)
            steps.append(index.group(1) if index else "'" + (name or "").replace("'", "''") + "'")
        return "(" + ".".join(base) + "".join(f" -> {step}" for step in steps) + ")"

    return masked.restore(_CHAIN.sub(replace, masked.text))
