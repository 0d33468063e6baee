"""One declared column: input values -> canonical Arrow values, with every failing value recorded.

Everything here is driven by the Column declaration (kind, nullable, bounds, allowed, pattern, max_bytes,
allow_blank).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.conversion.validate.casting import fits, null_where, true_mask
from order_pipeline.conversion.validate.failures import Failures
from order_pipeline.conversion.validate.kind_values import FLOAT32_MAX, convert_values, masking
from order_pipeline.conversion.validate.kind_values import show as _show
from order_pipeline.datasets.declaration import Column
from order_pipeline.datasets.kinds import STAGED_JSON_BYTES

INT_BOUNDS = {"int16": (-(2**15), 2**15 - 1), "int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class ColumnTarget:
    """Where failures of one column go: the label reported as field, and how elements map to rows."""

    def __init__(
        self,
        failures: Failures,
        label: str,
        rows: np.ndarray | None = None,
        element: Callable[[int], str] | None = None,
    ) -> None:
        self.failures = failures
        self.label = label
        self.rows = rows
        self.element = element  # prefix for child elements, e.g. "item 2: "

    def fail(self, mask: np.ndarray, reason: Callable[[int], str]) -> None:
        if mask.any():
            prefix = self.element
            self.failures.add(mask, self.label, (lambda i: prefix(i) + reason(i)) if prefix else reason, self.rows)


def _bound(value: Decimal | int, type_: pa.DataType) -> pa.Scalar:
    if pa.types.is_decimal(type_):
        return pa.scalar(Decimal(value), type_)
    return pa.scalar(float(value) if pa.types.is_floating(type_) else int(value), type_)


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
        if fits(values, column.arrow_type()):  # nothing out of range: skip the comparisons
            return failing
        limit = Decimal(10) ** (column.precision - column.scale)
        over = true_mask(pc.greater_equal(pc.abs(values), _bound(limit, values.type))) & ~failing
        target.fail(
            over, lambda i: f"{_show(values, i)} is out of range for decimal({column.precision}, {column.scale})"
        )
        failing |= over
    elif column.kind in INT_BOUNDS:
        if fits(values, column.arrow_type()):
            return failing
        minimum, maximum = INT_BOUNDS[column.kind]
        over = true_mask(pc.or_(pc.less(values, minimum), pc.greater(values, maximum))) & ~failing
        target.fail(over, lambda i: f"{_show(values, i)} is out of range for {column.kind}")
        failing |= over
    elif column.kind == "float32":  # a finite double beyond float32's range would become infinity
        over = true_mask(pc.and_(pc.is_finite(values), pc.greater(pc.abs(values), FLOAT32_MAX))) & ~failing
        target.fail(over, lambda i: f"{_show(values, i)} is out of range for float32")
        failing |= over
    return failing


def _may_hold_nul(values: pa.Array) -> bool:
    """Whether any byte of the strings' data buffer is NUL: one scan of the buffer spares the per-value search
    for the (usual) column that holds none."""
    buffers = values.buffers()
    if len(buffers) != 3 or not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return True  # not a plain string array: search value by value
    if buffers[2] is None or buffers[2].size == 0:
        return False
    return not np.frombuffer(buffers[2], dtype=np.uint8).all()


def _check_strings(column: Column, values: pa.Array, target: ColumnTarget) -> None:
    lengths = pc.binary_length(values)
    if not column.blank_allowed:  # empty or only whitespace (Unicode's, e.g. U+3000): nothing was said
        blank = true_mask(pc.or_(pc.equal(lengths, 0), pc.utf8_is_space(values)))  # is_space: non-empty, all space
        target.fail(blank, lambda i: f"{_show(values, i)} is blank")
    if _may_hold_nul(values):
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
    long = true_mask(pc.greater(lengths, limit))
    target.fail(
        long,
        lambda i: (
            f"is {lengths[i].as_py()} bytes long in UTF-8 ({len(values[i].as_py())} "
            f"characters), more than its limit of {limit} bytes"
        ),
    )


def _check_json_text(values: pa.Array, target: ColumnTarget) -> None:
    """A json value is staged on Redshift as VARCHAR(STAGED_JSON_BYTES) text before JSON_PARSE: longer text would
    fail the file's COPY, so it rejects its own record here (on both warehouses alike)."""
    lengths = pc.binary_length(values)
    long = true_mask(pc.greater(lengths, STAGED_JSON_BYTES))
    target.fail(
        long,
        lambda i: (
            f"is {lengths[i].as_py()} bytes of JSON text in UTF-8, more than the {STAGED_JSON_BYTES} bytes "
            f"a json value may take (Redshift stages it as VARCHAR({STAGED_JSON_BYTES}))"
        ),
    )


def canonical_values(column: Column, values: pa.Array | None, target: ColumnTarget, rows: int) -> pa.Array:
    """`values` (None: the field is absent) as the column's canonical Arrow type; failures go to `target`.
    The result is null where a value was invalid (its record is rejected anyway). Reasons quote no value of a
    column declared `sensitive`."""
    with masking(column.sensitive):
        return _canonical_values(column, values, target, rows)


def _canonical_values(column: Column, values: pa.Array | None, target: ColumnTarget, rows: int) -> pa.Array:
    if values is None:
        values = pa.nulls(rows, pa.null())
    converted, bad, why = convert_values(column, values)
    target.fail(bad, why)
    if not column.nullable:
        missing = true_mask(converted.is_null()) & ~bad
        target.fail(missing, lambda i: "missing required field")
    if column.kind in (*INT_BOUNDS, "float32", "float64", "decimal"):
        converted = null_where(converted, _check_numbers(column, converted, target))
    elif column.kind == "string":
        _check_strings(column, converted, target)
    elif column.kind == "json":
        _check_json_text(converted, target)
    target_type = column.arrow_type()
    return converted if converted.type == target_type else pc.cast(converted, target_type)
