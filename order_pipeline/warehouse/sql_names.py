"""Identifiers and literals for generated SQL: validated, always quoted. Pure: no I/O."""

from __future__ import annotations

import re
from typing import Literal

Dialect = Literal["duckdb", "redshift"]

MAX_IDENTIFIER_BYTES = 127  # Redshift's limit, in UTF-8 bytes; DuckDB gets the same rule so both agree
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_IAM_ROLE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


class InvalidIdentifierError(ValueError):
    """A table or column name the warehouse cannot hold safely."""


def validate_identifier(name: str) -> str:
    """Return `name` if it is a safe warehouse identifier, else raise InvalidIdentifierError."""
    if not isinstance(name, str) or not name:
        raise InvalidIdentifierError(f"identifier must be a non-empty string, got {name!r}")
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        raise InvalidIdentifierError(
            f"identifier {name[:40]!r}… is {size} bytes; the limit is {MAX_IDENTIFIER_BYTES} bytes"
        )
    if _CONTROL.search(name):
        raise InvalidIdentifierError(f"identifier {name!r} contains a NUL or control character")
    if '"' in name:
        raise InvalidIdentifierError(f"identifier {name!r} contains a double quote")
    if name != name.lower():
        # Redshift folds even quoted identifiers to lower case by default: a mixed-case name would
        # silently name a different column than DuckDB's.
        raise InvalidIdentifierError(f"identifier {name!r} must be lower case")
    if name != name.strip():
        raise InvalidIdentifierError(f"identifier {name!r} has leading or trailing whitespace")
    return name


def quote_ident(name: str) -> str:
    """A validated identifier, double-quoted (reserved words such as `order` stay usable)."""
    return f'"{validate_identifier(name)}"'


def quote_literal(value: str) -> str:
    """A single-quoted string literal for the few places that cannot bind parameters (COPY).

    Backslashes and control characters are refused rather than escaped: their meaning differs between
    string-literal modes, and no legitimate S3 URI or IAM role contains them.
    """
    if _CONTROL.search(value) or "\\" in value:
        raise ValueError(f"refusing to inline a literal with a backslash or control character: {value!r}")
    return "'" + value.replace("'", "''") + "'"


def validate_iam_role(role: str) -> str:
    """An IAM role ARN (or a comma-separated chain of them), or Redshift's `default`."""
    if role == "default":
        return role
    for part in role.split(","):
        if not _IAM_ROLE.fullmatch(part):
            raise ValueError(f"not an IAM role ARN: {part!r}")
    return role


# Internal temp tables live in a namespace no dataset can take (datasets/reserved_names.py): `stage_<table>`, where
# no table starts with `stage_`, and names with a `$`, which no table holds.
def stage_name(table: str) -> str:
    """The temp staging table of `table`."""
    return validate_identifier(f"stage_{table}")


def losers_name(table: str) -> str:
    """The temp table of staged rows that lost de-duplication."""
    return validate_identifier(f"stage_{table}$dup")


FILES_STAGE = "stage$batch_files"
