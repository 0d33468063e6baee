"""What a reader hands to validation: a batch of input rows plus the records that could not be read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass
class Reject:
    """One rejected record. `reasons` holds every (field, reason) found, the first being the reported one."""

    record: int  # 1-based ordinal of the record in the file
    line: int | None
    reasons: list[tuple[str | None, str]]
    raw: Any
    raw_bytes: int | None = None  # set when `raw` is only the head of a record this many bytes long

    def report(self, source: str) -> dict[str, Any]:
        field_name, reason = self.reasons[0]
        report: dict[str, Any] = {
            "source": source,
            "record": self.record,
            "line": self.line,
            "field": field_name,
            "reason": reason,
            "raw": self.raw,
        }
        if len(self.reasons) > 1:
            report["reasons"] = [{"field": f, "reason": r} for f, r in self.reasons]
        if self.raw_bytes is not None:
            report.update(raw_truncated=True, raw_bytes=self.raw_bytes)
        return report


@dataclass
class ParsedBatch:
    """Rows read from the input (nested like the input records), in file order.

    `origin(row)` gives (line number or None, raw record) for a reject report; it is only called for
    rejected rows, so readers may compute it lazily.
    """

    table: pa.Table
    ordinals: np.ndarray  # int64, the record ordinal of each row
    records: int  # records covered by this batch: rows + read_rejects
    origin: Callable[[int], tuple[int | None, Any]]
    read_rejects: list[Reject] = field(default_factory=list)

    def validated(self, origin_needed: bool) -> ParsedBatch:
        """This batch once validated: its rows' data (the input table and, through `origin`, the input text)
        dropped, so that it takes no memory while it waits to be written; `origin` is kept when rejected rows
        need it. The row count and ordinals stay for the accounting."""
        origin = self.origin if origin_needed else _no_origin
        return replace(self, table=self.table.select([]), origin=origin)

    def shifted(self, records_before: int) -> ParsedBatch:
        """A copy of this batch with ordinals counted from the start of the file instead of the chunk."""
        if not records_before:
            return self
        return replace(
            self,
            ordinals=self.ordinals + records_before,
            read_rejects=[replace(r, record=r.record + records_before) for r in self.read_rejects],
        )


def _no_origin(row: int) -> tuple[int | None, Any]:
    raise LookupError(f"row {row} was not rejected: its origin was not kept")
