"""Input values -> the working Arrow type of a column kind, one converter per kind (datasets/kinds.py).

Each converter returns (values, bad mask, reason of a bad value). A value that does not fit is never rounded
or cut: it is bad, and its record is rejected (columns.py). Integers come back as int64, floats as float64
and decimals as decimal128(38, scale) so that columns.py can check bounds before the final cast; every other
kind comes back in its canonical type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.conversion.validate.casting import cast_isolating, fits, isolate, null_where, true_mask
from order_pipeline.datasets.declaration import Column
from order_pipeline.datasets.kinds import accepts, family_of, kind_named

Converted = tuple[pa.Array, np.ndarray, Callable[[int], str]]  # values, bad mask, reason of a bad value

# A zone designator at the end of an ISO-8601 timestamp: Z, +hh, +hhmm or +hh:mm.
ZONE_SUFFIX = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
ISO_TIME = r"^\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?$"
_INT64_MAX = 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38


# Set while a column declared `sensitive` is checked: reasons then never echo its values (issue 20 item 6).
_MASKED: ContextVar[bool] = ContextVar("order_pipeline_masked", default=False)
MASKED_VALUE = "a value (masked: sensitive column)"


@contextmanager
def masking(on: bool) -> Iterator[None]:
    """Reasons built inside show no values when `on` (thread- and context-local)."""
    token = _MASKED.set(on)
    try:
        yield
    finally:
        _MASKED.reset(token)


def show(values: pa.Array, index: int) -> str:
    """A bad value as a reason quotes it: short, and masked for a sensitive column."""
    if _MASKED.get():
        return MASKED_VALUE
    value = values[index].as_py()
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _none_bad(values: pa.Array) -> np.ndarray:
    return np.zeros(len(values), dtype=bool)


def _all_bad(values: pa.Array, target: pa.DataType, expected: str) -> Converted:
    bad = ~np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pa.nulls(len(values), target), bad, lambda i: f"expected {expected}, got {values.type}"


def plain(values: pa.Array) -> pa.Array:
    """Encodings looked through: dictionaries decoded, extension arrays as their storage, string and list views
    as plain strings and lists."""
    if isinstance(values.type, pa.ExtensionType):
        values = values.storage
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_large_string(values.type) or pa.types.is_string_view(values.type):
        values = pc.cast(values, pa.string())
    return values


def _text(values: pa.Array) -> Converted:
    # Arrow does not check the UTF-8 of strings read from Parquet: one validating pass, isolating the bad
    # values (JSON text was checked when it was read).
    text, bad = cast_isolating(values.view(pa.binary()), pa.string())
    return text, bad, lambda i: "is not valid UTF-8 text"


def _string(values: pa.Array, column: Column) -> Converted:
    return _text(values)


def _json_text(value: object) -> str:
    return orjson.dumps(value, default=str).decode()


def _json(values: pa.Array, column: Column) -> Converted:
    """JSON text as it is (checked to parse: the warehouse parses it), any other value serialised to JSON."""
    family = family_of(values.type)
    if family == "string":
        text, bad, why = _text(values)
        unparsable = np.zeros(len(text), dtype=bool)
        for index, value in enumerate(text.to_pylist()):
            if value is not None and not bad[index]:
                try:
                    orjson.loads(value)
                except orjson.JSONDecodeError:
                    unparsable[index] = True
        if unparsable.any():
            text = null_where(text, unparsable)
        return text, bad | unparsable, lambda i: why(i) if bad[i] else f"{show(values, i)} is not valid JSON text"
    if family in ("integer", "float", "decimal", "boolean"):
        # Arrow's text of a number or boolean is its JSON text; NaN and infinities have none.
        if family == "float":
            finite = true_mask(pc.is_finite(values))
            bad = ~finite & true_mask(values.is_valid())
            text = null_where(pc.cast(values, pa.string()), bad)
            return text, bad, lambda i: f"{show(values, i)} has no JSON representation"
        return pc.cast(values, pa.string()), _none_bad(values), str
    texts = [None if value is None else _json_text(value) for value in values.to_pylist()]
    return pa.array(texts, pa.string()), _none_bad(values), str


def _boolean(values: pa.Array, column: Column) -> Converted:
    return values, _none_bad(values), str


def _integer(values: pa.Array, column: Column) -> Converted:
    """As int64 (columns.py checks the kind's range); unsigned values beyond int64 are out of range, and so are
    whole decimals beyond it (JSON integers are read as decimals of scale 0: kinds._JSON_READ)."""
    too_big = np.zeros(len(values), dtype=bool)
    if pa.types.is_uint64(values.type):
        too_big = true_mask(pc.greater(values, pa.scalar(_INT64_MAX, pa.uint64())))
    elif pa.types.is_decimal(values.type) and not fits(values, pa.int64()):
        whole = true_mask(pc.equal(pc.cast(pc.trunc(values), values.type), values))
        beyond = pc.or_(
            pc.greater(values, pa.scalar(_INT64_MAX).cast(values.type)),
            pc.less(values, pa.scalar(-_INT64_MAX - 1).cast(values.type)),
        )
        too_big = whole & true_mask(beyond)
    result, bad = cast_isolating(null_where(values, too_big), pa.int64())
    return (
        result,
        bad | too_big,
        lambda i: (
            f"{show(values, i)} is out of range for {column.kind}"
            if too_big[i]
            else f"{show(values, i)} is not an integer"
        ),
    )


def _float(values: pa.Array, column: Column) -> Converted:
    result, bad = cast_isolating(values, pa.float64())
    return result, bad, lambda i: f"{show(values, i)} is not a number a {column.kind} holds exactly"


def _decimal(values: pa.Array, column: Column) -> Converted:
    target = pa.decimal128(38, column.scale)
    source = values
    if pa.types.is_floating(values.type):  # via the shortest text of the float: 0.1 + 0.2 is not 0.30
        source = pc.cast(values, pa.string())
    result, bad = cast_isolating(source, target)
    return (
        result,
        bad,
        lambda i: f"{show(source, i)} is not a decimal number with at most {column.scale} decimal places",
    )


def _date(values: pa.Array, column: Column) -> Converted:
    if pa.types.is_date64(values.type):  # milliseconds: a value with a time of day is not a date
        days = pc.cast(values, pa.date32(), safe=False)
        timed = true_mask(pc.not_equal(pc.cast(days, pa.date64()), values))
        return null_where(days, timed), timed, lambda i: f"{show(values, i)} has a time of day"
    if pa.types.is_date32(values.type):
        return values, _none_bad(values), str
    result, bad = cast_isolating(values, pa.date32())
    return result, bad, lambda i: f"{show(values, i)} is not an ISO date (YYYY-MM-DD)"


def _time(values: pa.Array, column: Column) -> Converted:
    """Canonical text HH:MM:SS.ffffff (see kinds: the lake keeps time as text)."""
    if pa.types.is_time(values.type):
        times, bad = cast_isolating(values, pa.time64("us"))
        return (pc.cast(times, pa.string()), bad, lambda i: f"{show(values, i)} has more than microsecond precision")
    shaped = true_mask(pc.match_substring_regex(values, ISO_TIME))
    misshapen = ~shaped & true_mask(values.is_valid())
    stamped = pc.binary_join_element_wise("1970-01-01T", null_where(values, misshapen), "")
    moments, bad = cast_isolating(stamped, pa.timestamp("us"))
    bad |= misshapen
    text = pc.cast(pc.cast(moments, pa.time64("us")), pa.string())
    return text, bad, lambda i: f"{show(values, i)} is not an ISO time of day (HH:MM[:SS[.ffffff]])"


def _assume_zone(naive: pa.Array, zone: str) -> tuple[pa.Array, np.ndarray]:
    """Naive timestamps read in `zone`; a time that does not exist there or exists twice (a DST change) is
    bad rather than guessed."""
    return isolate(
        naive,
        lambda part: pc.assume_timezone(part, zone, ambiguous="raise", nonexistent="raise"),
        pa.timestamp(naive.type.unit, tz=zone),
    )


def _timestamp(values: pa.Array, column: Column) -> Converted:
    target = pa.timestamp("us", tz="UTC")
    zone = column.naive_timezone
    if pa.types.is_timestamp(values.type):
        dst_bad = np.zeros(len(values), dtype=bool)
        if values.type.tz is None:
            if zone is None:
                return _all_bad(values, target, "a timestamp with a zone (or declare the column's naive_timezone)")
            values, dst_bad = _assume_zone(values, zone)
        result, bad = cast_isolating(values, target)
        return (
            result,
            bad | dst_bad,
            lambda i: (
                f"{show(values, i)} does not exist or is ambiguous in {zone}"
                if dst_bad[i]
                else f"{show(values, i)} has more than microsecond precision"
            ),
        )
    # Arrow's cast refuses zone-less text for a zoned type: when every value casts, none is naive (the usual
    # case, one pass). Otherwise check first so that the common failure (a naive timestamp) costs one
    # vectorised pass and gets its own reason.
    try:
        return pc.cast(values, target), _none_bad(values), str
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    naive = true_mask(pc.invert(pc.match_substring_regex(values, ZONE_SUFFIX)))
    result, bad = cast_isolating(null_where(values, naive), target)
    naive_bad = naive.copy()
    in_gap = np.zeros(len(values), dtype=bool)
    if zone is not None and naive.any():
        moments, unparsed = cast_isolating(null_where(values, ~naive), pa.timestamp("us"))
        zoned, in_gap = _assume_zone(moments, zone)
        naive_bad = naive & (unparsed | in_gap)
        result = pc.if_else(pa.array(naive), pc.cast(zoned, target), result)
    bad = (bad & ~naive) | naive_bad

    def reason(i: int) -> str:
        if in_gap[i]:
            return f"{show(values, i)} does not exist or is ambiguous in {zone}"
        if naive[i] and zone is None and DATE_TIME.match(values[i].as_py()):
            return f"{show(values, i)} has no time zone (needs Z or ±hh:mm)"
        return f"{show(values, i)} is not an ISO-8601 timestamp (with at most microseconds)"

    return result, bad, reason


CONVERTERS: dict[str, Callable[[pa.Array, Column], Converted]] = {
    "string": _string,
    "json": _json,
    "boolean": _boolean,
    "int16": _integer,
    "int32": _integer,
    "int64": _integer,
    "float32": _float,
    "float64": _float,
    "decimal": _decimal,
    "date": _date,
    "time": _time,
    "timestamp": _timestamp,
}
# The type each converter hands back (columns.py checks bounds on it, then casts to the canonical type).
WORKING_TYPES: dict[str, Callable[[Column], pa.DataType]] = {
    "int16": lambda c: pa.int64(),
    "int32": lambda c: pa.int64(),
    "int64": lambda c: pa.int64(),
    "float32": lambda c: pa.float64(),
    "float64": lambda c: pa.float64(),
    "decimal": lambda c: pa.decimal128(38, c.scale),
}


def working_type(column: Column) -> pa.DataType:
    make = WORKING_TYPES.get(column.kind)
    return make(column) if make else column.arrow_type()


def convert_values(column: Column, values: pa.Array) -> Converted:
    """`values` (any input Arrow type) as the column kind's working type, with the values that do not fit."""
    kind = kind_named(column.kind)
    values = plain(values)
    target = working_type(column)
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), target), _none_bad(values), str
    if not accepts(kind, values.type):
        return _all_bad(values, target, kind.expected)
    return CONVERTERS[column.kind](values, column)
