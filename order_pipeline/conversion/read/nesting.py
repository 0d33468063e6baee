"""How deeply a JSON text nests, found without parsing it (parsers that recurse fail on deep nesting)."""

from __future__ import annotations

import re

# Far deeper than any declared record (orders nest 3 levels), far below what the json module (~1,000) and
# orjson's writer (254) can take.
MAX_DEPTH = 64

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def nesting_depth(text: bytes) -> int:
    """The deepest nesting of arrays and objects in `text` (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b'""', text)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_deep(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `text` nests more than `limit` levels; cheap for the usual record (few brackets)."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    return nesting_depth(text) > limit
