"""Redshift errors as redshift_connector raises them: what they say, and which ones are worth another try.

redshift_connector raises a server error with the ErrorResponse fields as a dict in `args[0]`: 'C' (SQLSTATE),
'M' (message), 'D' (detail) ... Redshift puts the useful part of many errors in the detail:
  * a serializable-isolation conflict is {'C': 'XX000', 'M': '1023', 'D': 'Serializable isolation violation on
    table - 119371, transactions forming the cycle are: 1745830, 1745762 (pid:15021)'} (aws-sdk-pandas #665);
  * a failing Parquet COPY is {'C': 'XX000', 'M': 'Spectrum Scan Error', 'D': '... code: 15001  context: The
    length of the data column display_name is longer than the length defined in the table. Table: 256, Data:
    320, File name: https://...'} (aws-sdk-pandas #529, redshift_connector #107).
"""

from __future__ import annotations

import re

import redshift_connector

# Connection-level SQLSTATE classes/codes: the session is gone, the work can be redone on a new one.
_DROPPED_STATES = ("08", "57P01", "57P02", "57P03")
_DROPPED_MESSAGES = ("communication error", "brokenpipe", "connection is closed", "connection time out")
_DEADLOCK = "40P01"  # PostgreSQL's code, which Redshift keeps: the victim is rolled back and may be retried
_NOISE_KEYS = {"location", "process"}  # Redshift-internal source locations, no help to an operator


def server_fields(exc: BaseException) -> dict[str, str]:
    """The ErrorResponse fields of a server error ({} for anything else)."""
    fields = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return {str(key): str(value) for key, value in fields.items()}


def _compact_detail(detail: str, message: str) -> str:
    """Redshift's multi-line detail block as one line: `code: 15001; context: ...`."""
    parts = []
    for line in detail.splitlines():
        line = line.strip()
        if not line or set(line) <= {"-"}:
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if sep and (key in _NOISE_KEYS or (key == "error" and value == message.strip())):
            continue
        parts.append(f"{key}: {value}" if sep and " " not in key else line)
    return re.sub(r"\s+", " ", "; ".join(parts)).strip()


def describe(exc: BaseException) -> str:
    """A server error as `message (SQLSTATE xxx): detail`, anything else as `Type: text`."""
    fields = server_fields(exc)
    if not fields.get("C"):
        return f"{type(exc).__name__}: {exc}"
    message = fields.get("M", "").strip()
    text = f"{message} (SQLSTATE {fields['C']})"
    detail = _compact_detail(fields.get("D", ""), message)
    return f"{text}: {detail}" if detail else text


def is_serialization_conflict(exc: BaseException) -> bool:
    """Redshift's error 1023 (SQLSTATE XX000, the phrase in the detail), or a PostgreSQL-style 40001."""
    fields = server_fields(exc)
    state, message, detail = fields.get("C", ""), fields.get("M", ""), fields.get("D", "")
    if state == "40001":
        return True
    phrase = "serializable isolation violation" in f"{message} {detail}".lower()
    return phrase or (state == "XX000" and message.strip() == "1023")


def is_dropped_connection(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, (redshift_connector.InterfaceError, redshift_connector.OperationalError)):
        text = str(exc).lower()
        return any(m in text for m in _DROPPED_MESSAGES)
    state = server_fields(exc).get("C", "")
    return bool(state) and state.startswith(_DROPPED_STATES)


def is_retryable(exc: BaseException) -> bool:
    """Conflicts, deadlock victims and dropped connections are retried; bad data and bad SQL never are."""
    return is_serialization_conflict(exc) or server_fields(exc).get("C") == _DEADLOCK or is_dropped_connection(exc)
