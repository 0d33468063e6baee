"""PostgreSQL's errors in the shape Redshift sends them, as redshift_connector hands them to its callers.

* A serialization failure (SQLSTATE 40001) becomes Redshift's error 1023: SQLSTATE XX000, message `1023`, and
  `Serializable isolation violation on table ...` in the DETAIL field. Shape from a redshift_connector
  ProgrammingError quoted in aws/aws-sdk-pandas issue 665:
  {'S': 'ERROR', 'C': 'XX000', 'M': '1023', 'D': 'Serializable isolation violation on table - 119371,
  transactions forming the cycle are: 1745830, 1745762 (pid:15021)', 'F': '.../xen_execute.cpp', ...}.
* A byte-length domain check (statement_rewrite's varchar_<n>) becomes `value too long for type character
  varying(n)`, SQLSTATE 22001, which is what Redshift answers an INSERT or UPDATE with.
* A statement the endpoint refused (redshift_rules) becomes that rule's error.
"""

from __future__ import annotations

import re

from order_pipeline_tests.redshift_endpoint.redshift_rules import Rejection

Fields = list[tuple[str, str]]
REJECTED_MARKER = "redshift_emulator_rejected_"
_DOMAIN = re.compile(r"value for domain (?:redshift_emulator\.)?varchar_(\d+) violates check constraint")


def error_fields(sqlstate: str, message: str, detail: str = "") -> Fields:
    fields = [("S", "ERROR"), ("V", "ERROR"), ("C", sqlstate), ("M", message)]
    if detail:
        fields.append(("D", detail))
    return fields + [("F", "redshift_endpoint"), ("R", "pg_throw")]


def rejection_fields(rejection: Rejection) -> Fields:
    return error_fields(rejection.sqlstate, rejection.message)


def redshift_shape(fields: Fields, backend_pid: int) -> Fields | None:
    """Redshift's version of a PostgreSQL error, or None when PostgreSQL's is already Redshift's."""
    found = dict(fields)
    state, message = found.get("C", ""), found.get("M", "")
    if state == "40001":
        return error_fields(
            "XX000",
            "1023",
            "Serializable isolation violation on table - 0, transactions forming the cycle are: "
            f"0, 0 (pid:{backend_pid})",
        )
    domain = _DOMAIN.search(message) if state == "23514" else None
    if domain:
        return error_fields("22001", f"value too long for type character varying({domain.group(1)})")
    return None


def rejected_token(fields: Fields) -> str | None:
    """The token of a refused statement's placeholder error (see WireAdapter), if this is one."""
    found = re.search(rf"{REJECTED_MARKER}(\w+)", dict(fields).get("M", ""))
    return found.group(1) if found else None


def refused_statement(token: str) -> str:
    """A statement PostgreSQL refuses while parsing it, naming `token`: it aborts the transaction like the
    refused statement would have on Redshift; the adapter then swaps the error for the rule's."""
    return f'SELECT "{REJECTED_MARKER}{token}"'
