"""Per-row failure bookkeeping for one batch: which rows failed, and why (in check order)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_REASONS = 10  # reasons kept per record


class Failures:
    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.failed = np.zeros(rows, dtype=bool)
        self.reasons: dict[int, list[tuple[str | None, str]]] = {}

    def add(
        self, mask: np.ndarray, field: str | None, reason: Callable[[int], str], rows: np.ndarray | None = None
    ) -> None:
        """Record a failure for each True in `mask`; `reason(i)` describes element i. `rows` maps elements
        to batch rows (for child elements); default: element i is row i."""
        for index in np.flatnonzero(mask):
            row = int(rows[index]) if rows is not None else int(index)
            found = self.reasons.setdefault(row, [])
            if len(found) < MAX_REASONS:
                found.append((field, reason(int(index))))
            self.failed[row] = True

    @property
    def ok(self) -> np.ndarray:
        return ~self.failed
