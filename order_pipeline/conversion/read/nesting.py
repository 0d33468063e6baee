"""How deeply a JSON text nests, found without parsing it (parsers that recurse fail on deep nesting)."""

from __future__ import annotations

import re

import numpy as np

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


_NONE, _QUOTE, _SLASH, _OPEN, _CLOSE = range(5)
_CLASSES = np.zeros(256, dtype=np.int8)
_CLASSES[ord('"')], _CLASSES[ord("\\")] = _QUOTE, _SLASH
_CLASSES[[ord("["), ord("{")]] = _OPEN
_CLASSES[[ord("]"), ord("}")]] = _CLOSE


class ElementScanner:
    """Finds where a JSON array or object ends in text that arrives in pieces, in linear time: each piece is
    looked at once, with numpy on its quotes, backslashes and brackets only (a Python loop per bracket would take
    seconds on a 16 MB nested element), and the state (depth, inside a string, a pending run of backslashes)
    carries over to the next piece. `deepest` is the deepest nesting seen so far."""

    def __init__(self) -> None:
        self.depth = 0
        self.deepest = 0
        self.in_string = False
        self.backslashes = 0  # the run of backslashes the last piece ended with

    def feed(self, text: str) -> int | None:
        """The index in `text` just after the element's end, or None if it does not end within `text`."""
        if not text:
            return None
        data = text.encode("utf-8", "surrogateescape")
        classes = _CLASSES[np.frombuffer(data, dtype=np.uint8)]
        if not self.in_string and not (classes == _QUOTE).any() and not (classes == _SLASH).any():
            return self._brackets_only(data, classes)
        where = np.flatnonzero(classes)
        kinds = classes[where]
        if not len(where):
            self.backslashes = 0
            return None
        trailing = len(data) - int(where[-1]) - 1  # characters after the last one of interest
        # Backslashes before each quote: the run of backslashes at consecutive positions just before it.
        slash = kinds == _SLASH
        adjacent = np.zeros(len(where), dtype=bool)
        adjacent[1:] = slash[:-1] & (np.diff(where) == 1)  # the previous character is a backslash
        counts = np.cumsum(slash)
        run_start = slash & ~adjacent
        base = np.maximum.accumulate(np.where(run_start, counts - 1, 0))
        runs = np.where(slash, counts - base, 0)
        if self.backslashes:  # a run of backslashes at the very start continues the one carried over
            leading = np.logical_and.accumulate(slash & (where == np.arange(len(where))))
            runs = np.where(leading, runs + self.backslashes, runs)
        before = np.zeros(len(where), dtype=np.int64)
        before[1:] = np.where(adjacent[1:], runs[:-1], 0)
        if where[0] == 0:
            before[0] = self.backslashes
        quotes = (kinds == _QUOTE) & (before % 2 == 0)
        toggles = np.cumsum(quotes) + int(self.in_string)
        outside = (toggles % 2 == 0) & ~quotes
        step = np.where(outside & (kinds == _OPEN), 1, 0) - np.where(outside & (kinds == _CLOSE), 1, 0)
        depths = self.depth + np.cumsum(step)
        ends = np.flatnonzero((depths <= 0) & (step < 0))
        stop = int(ends[0]) + 1 if len(ends) else len(where)
        self.deepest = max(self.deepest, int(depths[:stop].max()))
        if len(ends):
            self.depth = 0
            end_byte = int(where[ends[0]]) + 1
            return len(data[:end_byte].decode("utf-8", "surrogateescape"))
        self.depth = int(depths[-1])
        self.in_string = bool(toggles[-1] % 2)
        self.backslashes = int(runs[-1]) if slash[-1] and trailing == 0 else 0
        return None

    def _brackets_only(self, data: bytes, classes: np.ndarray) -> int | None:
        """`feed` for a piece without strings (a deeply nested attack is all brackets): depth by one cumsum."""
        self.backslashes = 0
        step = (classes == _OPEN).astype(np.int32) - (classes == _CLOSE).astype(np.int32)
        depths = np.cumsum(step, dtype=np.int32) + self.depth
        ends = np.flatnonzero((depths <= 0) & (step < 0))
        stop = int(ends[0]) + 1 if len(ends) else len(depths)
        self.deepest = max(self.deepest, int(depths[:stop].max()))
        if len(ends):
            self.depth = 0
            return len(data[:stop].decode("utf-8", "surrogateescape"))
        self.depth = int(depths[-1])
        return None
