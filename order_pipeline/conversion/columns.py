"""One declared column: input values -> canonical Arrow values, with every failing value recorded.

Everything here is driven by the Column declaration (kind, nullable, bounds, allowed, pattern, max_bytes,
allow_blank).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.conversion.casting import cast_isolating, null_where, true_mask
from order_pipeline.conversion.failures import Failures
from order_pipeline.datasets.declaration import Column

INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# A zone designator at the end of an ISO-8601 timestamp: Z, +hh, +hhmm or +hh:mm.
ZONE_SUFFIX = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
Converted = tuple[pa.Array, np.ndarray, Callable[[int], str]]  # values, bad mask, reason of a bad value


class ColumnTarget:
    """Where failures of one column go: the label reported as field, and how elements map to rows."""

    def __init__(self, failures: Failures, label: str, rows: np.ndarray | None = None,
                 element: Callable[[int], str] | None = None) -> None:
        self.failures = failures
        self.label = label
        self.rows = rows
        self.element = element  # prefix for child elements, e.g. "item 2: "

    def fail(self, mask: np.ndarray, reason: Callable[[int], str]) -> None:
        if mask.any():
            prefix = self.element
            self.failures.add(mask, self.label,
                              (lambda i: prefix(i) + reason(i)) if prefix else reason, self.rows)


def _show(values: pa.Array, index: int) -> str:
    text = repr(values[index].as_py())
    return text if len(text) <= 60 else text[:57] + "..."


def _all_bad(values: pa.Array, target: pa.DataType, expected: str) -> Converted:
    bad = ~np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pa.nulls(len(values), target), bad, lambda i: f"expected {expected}, got {values.type}"


def _string(values: pa.Array) -> Converted:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        # Arrow does not check the UTF-8 of strings read from Parquet: one validating pass, isolating the bad
        # values (JSON text was checked when it was read).
        text, bad = cast_isolating(pc.cast(values, pa.string()).view(pa.binary()), pa.string())
        return text, bad, lambda i: "is not valid UTF-8 text"
    return _all_bad(values, pa.string(), "a string")


def _integer(values: pa.Array) -> Converted:
    if pa.types.is_integer(values.type) or pa.types.is_string(values.type):
        result, bad = cast_isolating(values, pa.int64())
        return result, bad, lambda i: f"{_show(values, i)} is not an integer"
    return _all_bad(values, pa.int64(), "an integer")


def _decimal(values: pa.Array, column: Column) -> Converted:
    target = pa.decimal128(38, column.scale)
    source = values
    if pa.types.is_floating(values.type):  # via the shortest text of the float: 0.1 + 0.2 is not 0.30
        source = pc.cast(values, pa.string())
    elif not (pa.types.is_decimal(values.type) or pa.types.is_integer(values.type)
              or pa.types.is_string(values.type)):
        return _all_bad(values, target, "a decimal number")
    result, bad = cast_isolating(source, target)
    return result, bad, lambda i: (f"{_show(source, i)} is not a decimal number with at most "
                                   f"{column.scale} decimal places")


def _timestamp(values: pa.Array) -> Converted:
    target = pa.timestamp("us", tz="UTC")
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            return _all_bad(values, target, "a timestamp with a zone")
        result, bad = cast_isolating(values, target)
        return result, bad, lambda i: f"{_show(values, i)} has more than microsecond precision"
    if not pa.types.is_string(values.type):
        return _all_bad(values, target, "an ISO-8601 timestamp string")
    # Arrow's cast refuses zone-less text for a zoned type, but check first so that the common
    # failure (a naive timestamp) costs one vectorised pass and gets its own reason.
    naive = true_mask(pc.invert(pc.match_substring_regex(values, ZONE_SUFFIX)))
    result, bad = cast_isolating(null_where(values, naive), target)
    bad |= naive

    def reason(i: int) -> str:
        if naive[i] and DATE_TIME.match(values[i].as_py()):
            return f"{_show(values, i)} has no time zone (needs Z or ±hh:mm)"
        return f"{_show(values, i)} is not an ISO-8601 timestamp (with at most microseconds)"

    return result, bad, reason


def _boolean(values: pa.Array) -> Converted:
    if pa.types.is_boolean(values.type):
        return values, np.zeros(len(values), dtype=bool), str
    return _all_bad(values, pa.bool_(), "true or false")


def _convert(column: Column, values: pa.Array) -> Converted:
    if column.kind in ("string", "json"):
        return _string(values)
    if column.kind in ("int32", "int64"):
        return _integer(values)
    if column.kind == "decimal":
        return _decimal(values, column)
    if column.kind == "timestamp":
        return _timestamp(values)
    if column.kind == "boolean":
        return _boolean(values)
    raise ValueError(f"unknown column kind {column.kind!r}")


def _bound(value: Decimal | int, type_: pa.DataType) -> pa.Scalar:
    return pa.scalar(Decimal(value) if pa.types.is_decimal(type_) else int(value), type_)


def _check_numbers(column: Column, values: pa.Array, target: ColumnTarget) -> np.ndarray:
    """Bounds checks; returns the mask of failing values."""
    failing = np.zeros(len(values), dtype=bool)
    if column.min_value is not None:
        low = true_mask(pc.less(values, _bound(column.min_value, values.type)))
        target.fail(low, lambda i: f"{_show(values, i)} is below the minimum {column.min_value}")
        failing |= low
    if column.max_value is not None:
        high = true_mask(pc.greater(values, _bound(column.max_value, values.type)))
        target.fail(high, lambda i: f"{_show(values, i)} is above the maximum {column.max_value}")
        failing |= high
    if column.kind == "decimal":
        limit = Decimal(10) ** (column.precision - column.scale)
        over = true_mask(pc.greater_equal(pc.abs(values), _bound(limit, values.type))) & ~failing
        target.fail(over, lambda i: f"{_show(values, i)} is out of range for decimal({column.precision}, "
                                    f"{column.scale})")
        failing |= over
    elif column.kind in INT_BOUNDS:
        low, high = INT_BOUNDS[column.kind]
        over = true_mask(pc.or_(pc.less(values, low), pc.greater(values, high))) & ~failing
        target.fail(over, lambda i: f"{_show(values, i)} is out of range for {column.kind}")
        failing |= over
    return failing


def _check_strings(column: Column, values: pa.Array, target: ColumnTarget) -> None:
    if not column.blank_allowed:  # empty or only whitespace (Unicode's, e.g. U+3000): nothing was said
        blank = true_mask(pc.equal(pc.binary_length(pc.utf8_trim_whitespace(values)), 0))
        target.fail(blank, lambda i: f"{_show(values, i)} is blank")
    nul = true_mask(pc.match_substring(values, "\x00"))
    target.fail(nul, lambda i: "holds a NUL character (\\u0000), which warehouse strings cannot store")
    if column.allowed is not None:
        allowed = pa.array(list(column.allowed), pa.string())
        outside = true_mask(pc.invert(pc.is_in(values, value_set=allowed)))
        if values.null_count:  # a null is absent, not outside the set (a required column reports it as missing)
            outside &= true_mask(values.is_valid())
        target.fail(outside, lambda i: f"{_show(values, i)} is not one of {', '.join(column.allowed or ())}")
    if column.pattern is not None:
        mismatch = true_mask(pc.invert(pc.match_substring_regex(values, f"^(?:{column.pattern})$")))
        target.fail(mismatch, lambda i: f"{_show(values, i)} does not match the pattern {column.pattern}")
    # Redshift's VARCHAR(n) counts UTF-8 bytes: "é" is 2, an emoji 4. A value that fits in characters but
    # not in bytes would fail the whole COPY, so it rejects its own record here.
    limit = column.byte_limit
    lengths = pc.binary_length(values)
    long = true_mask(pc.greater(lengths, limit))
    target.fail(long, lambda i: f"is {lengths[i].as_py()} bytes long in UTF-8 ({len(values[i].as_py())} "
                                f"characters), more than its limit of {limit} bytes")


def canonical_values(column: Column, values: pa.Array | None, target: ColumnTarget, rows: int) -> pa.Array:
    """`values` (None: the field is absent) as the column's canonical Arrow type; failures go to `target`.
    The result is null where a value was invalid (its record is rejected anyway)."""
    if values is None:
        values = pa.nulls(rows, pa.string())
    converted, bad, why = _convert(column, values)
    target.fail(bad, why)
    if not column.nullable:
        missing = true_mask(converted.is_null()) & ~bad
        target.fail(missing, lambda i: "missing required field")
    if column.kind in ("int32", "int64", "decimal"):
        converted = null_where(converted, _check_numbers(column, converted, target))
    elif column.kind == "string":
        _check_strings(column, converted, target)
    return pc.cast(converted, column.arrow_type())
