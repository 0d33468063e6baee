"""Every record is accounted for: read = written + rejected, per batch and per file, checked in code.

A mismatch is a bug in the converter, not bad data; the file is quarantined with the counts (never loaded as
a silent subset) so that an operator sees it and nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from order_pipeline.conversion.errors import ConversionError
from order_pipeline.conversion.read.batch import ParsedBatch


class AccountingError(ConversionError):
    """The converter lost track of records: the counts do not add up."""


@dataclass(frozen=True)
class RecordCounts:
    read: int  # records in the file (non-blank lines, array elements, Parquet rows)
    written: int  # rows written to the parent table's canonical Parquet
    rejected: int  # records in the rejects report

    @property
    def balanced(self) -> bool:
        return self.read == self.written + self.rejected

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, "written": self.written, "rejected": self.rejected}

    def describe(self) -> str:
        sign = "=" if self.balanced else "≠"
        return f"records read ({self.read}) {sign} rows written ({self.written}) + rejected ({self.rejected})"


def check_batch(batch: ParsedBatch, first: int, name: str) -> None:
    """Each record `first` .. `first + batch.records - 1` is exactly one row or one read reject."""
    rows = batch.table.num_rows
    reject_ordinals = np.array([reject.record for reject in batch.read_rejects], dtype=np.int64)
    ordinals = np.sort(np.concatenate([np.asarray(batch.ordinals, dtype=np.int64), reject_ordinals]))
    expected = np.arange(first, first + batch.records, dtype=np.int64)
    if len(batch.ordinals) != rows or not np.array_equal(ordinals, expected):
        raise AccountingError(
            f"{name}: records {first}..{first + batch.records - 1} were read as {rows} rows and "
            f"{len(reject_ordinals)} rejects with ordinals that do not cover each record once; "
            "the file is quarantined instead of loading a partial result"
        )


def check_file(counts: RecordCounts, name: str) -> None:
    if not counts.balanced:
        raise AccountingError(
            f"{name}: {counts.describe()}; the file is quarantined instead of loading a partial result"
        )
