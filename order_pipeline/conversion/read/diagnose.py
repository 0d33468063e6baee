"""Why one parsed JSON record does not fit the input schema: the slow path's precise reject reasons.

Mirrors what Arrow's JSON reader accepts for each raw type (see input_schema), so that a record accepted
here reads the same as on the fast path. Numbers come in as int or Decimal (json.loads(parse_float=Decimal)).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

Problem = tuple[str | None, str]


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _decimal_problem(value: Any, type_: pa.Decimal128Type) -> str | None:
    """Scale 0 is how integer columns are read (kinds._JSON_READ): the reasons speak of integers."""
    whole = type_.scale == 0
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        if whole:
            return f"expected an integer, got {json_kind(value)} {_short(value).lower()}"
        return f"expected a decimal number, got {json_kind(value)}"
    try:
        number = Decimal(value) if not isinstance(value, str) or value == value.strip() else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return f"{_short(value)} is not {'an integer' if whole else 'a decimal number'}"
    # The range first, by exponent (no arithmetic: abs() or quantize() of 1e400 raise instead of answering).
    if number and number.adjusted() >= type_.precision - type_.scale:
        return f"{_short(value)} is out of range"
    try:
        exact = number == number.quantize(Decimal(1).scaleb(-type_.scale), rounding="ROUND_DOWN")
    except ArithmeticError:  # e.g. an exponent beyond the decimal context's limits
        exact = False
    if not exact:
        if whole:
            return f"{_short(value)} is not an integer"
        return f"{_short(value)} has more than {type_.scale} decimal places"
    return None


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _leaf_problem(value: Any, type_: pa.DataType) -> str | None:
    if pa.types.is_string(type_):
        return None if isinstance(value, str) else f"expected a string, got {json_kind(value)}"
    if pa.types.is_integer(type_):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected an integer, got {json_kind(value)} {value!s:.40}"
        return None if -(2**63) <= value < 2**63 else f"{value} is out of range"
    if pa.types.is_decimal(type_):
        return _decimal_problem(value, type_)
    if pa.types.is_boolean(type_):
        return None if isinstance(value, bool) else f"expected true or false, got {json_kind(value)}"
    return None


def value_problem(value: Any, type_: pa.DataType, path: str, reject_extra: bool) -> Problem | None:
    if value is None:
        return None
    if pa.types.is_struct(type_):
        if not isinstance(value, dict):
            return path or None, f"expected an object, got {json_kind(value)}"
        names = {type_.field(i).name for i in range(type_.num_fields)}
        if reject_extra:
            for key in value:
                if key not in names:
                    return _join(path, key), "unexpected field"
        for i in range(type_.num_fields):
            child = type_.field(i)
            problem = value_problem(value.get(child.name), child.type, _join(path, child.name), reject_extra)
            if problem:
                return problem
        return None
    if pa.types.is_list(type_):
        if not isinstance(value, list):
            return path, f"expected an array, got {json_kind(value)}"
        for position, element in enumerate(value, start=1):
            problem = value_problem(element, type_.value_type, path, reject_extra)
            if problem:
                return problem[0], f"element {position}: {problem[1]}"
        return None
    reason = _leaf_problem(value, type_)
    return (path, reason) if reason else None


def lone_surrogate(record: Any) -> Problem | None:
    """A string holding half of a UTF-16 surrogate pair (`"\\ud800"` alone): valid JSON, not valid text."""
    stack: list[tuple[str, Any]] = [("", record)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                code = ord(value[exc.start])
                return path or None, f"holds a lone surrogate \\u{code:04x}: not valid Unicode text"
        elif isinstance(value, dict):
            for key, child in value.items():  # keys are text too
                stack.extend(((_join(path, key), key), (_join(path, key), child)))
        elif isinstance(value, list):
            stack.extend((path, child) for child in value)
    return None


def record_problem(record: Any, schema: pa.Schema, reject_extra: bool) -> Problem | None:
    """The first reason `record` cannot be read with `schema`, or None."""
    if not isinstance(record, dict):
        return None, f"record is not a JSON object (got {json_kind(record)})"
    return value_problem(record, pa.struct(list(schema)), "", reject_extra)
