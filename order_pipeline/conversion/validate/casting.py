"""Vectorised casts that isolate the values which do not convert instead of failing the whole array."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SMALL = 16  # below this many values, cast one by one instead of halving


def cast_isolating(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Cast `values` to `target` (safe cast). Returns the result, null where a value did not convert, and a
    mask of those values. One cast in the common case; O(bad * log n) casts otherwise."""
    return isolate(values, lambda part: pc.cast(part, target), target)


def isolate(
    values: pa.Array, function: Callable[[pa.Array], pa.Array], target: pa.DataType
) -> tuple[pa.Array, np.ndarray]:
    """`function(values)` (an element-wise Arrow function returning `target`), isolating the values it refuses:
    the result is null there, and the mask marks them."""
    try:
        return function(values), np.zeros(len(values), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if len(values) <= _SMALL:
        parts = []
        bad = np.zeros(len(values), dtype=bool)
        for index in range(len(values)):
            try:
                parts.append(function(values.slice(index, 1)))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                parts.append(pa.nulls(1, target))
                bad[index] = True
        return pa.concat_arrays(parts), bad
    middle = len(values) // 2
    left, left_bad = isolate(values.slice(0, middle), function, target)
    right, right_bad = isolate(values.slice(middle), function, target)
    return pa.concat_arrays([left, right]), np.concatenate([left_bad, right_bad])


def null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """`values` with nulls where `mask` is True."""
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)


def true_mask(condition: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow result as numpy, nulls counting as False."""
    if condition.null_count:
        condition = pc.fill_null(condition, False)
    return np.asarray(condition.to_numpy(zero_copy_only=False), dtype=bool)


def fits(values: pa.Array, target: pa.DataType) -> bool:
    """Whether every value converts to `target` (a safe cast): one pass that spares a range check its
    per-value comparisons in the common case where nothing is out of range."""
    try:
        pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
