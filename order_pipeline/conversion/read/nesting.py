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


_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = np.array([ord("["), ord("{")], dtype=np.uint32)
_CLOSE = np.array([ord("]"), ord("}")], dtype=np.uint32)


class ElementScanner:
    """Finds where a JSON array or object ends in text that arrives in pieces, in linear time: each piece is
    looked at once, with numpy (a Python loop per bracket would take seconds on a 16 MB nested element), and
    the state (depth, inside a string, a pending backslash) carries over to the next piece.
    `deepest` is the deepest nesting seen so far."""

    def __init__(self) -> None:
        self.depth = 0
        self.deepest = 0
        self.in_string = False
        self.backslashes = 0  # the length of the run of backslashes the last piece ended with (inside a string)

    def feed(self, text: str) -> int | None:
        """The index in `text` just after the element's end, or None if it does not end within `text`."""
        if not text:
            return None
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        slash = codes == _BACKSLASH
        # The length of the run of backslashes ending at each index (the run carried over included).
        count = np.cumsum(slash)
        reset = np.maximum.accumulate(np.where(slash, 0, count))
        run = count - reset
        run[: len(run) if slash.all() else int(np.argmin(slash))] += self.backslashes
        before = np.concatenate(([self.backslashes], run[:-1]))
        quotes = (codes == _QUOTE) & (before % 2 == 0)
        # Inside a string at each index: after an odd number of real quotes (a quote itself counts as inside).
        toggles = np.cumsum(quotes) + int(self.in_string)
        outside = (toggles % 2 == 0) & ~quotes
        step = np.where(outside & np.isin(codes, _OPEN), 1, 0) - np.where(outside & np.isin(codes, _CLOSE), 1, 0)
        depths = self.depth + np.cumsum(step)
        ends = np.flatnonzero((depths <= 0) & (step < 0))
        stop = int(ends[0]) + 1 if len(ends) else len(codes)
        self.deepest = max(self.deepest, int(depths[:stop].max()))
        if len(ends):
            self.depth = 0
            return stop
        self.depth = int(depths[-1])
        self.in_string = bool(toggles[-1] % 2)
        self.backslashes = int(run[-1])
        return None
