"""A parsed batch -> its validated canonical tables and the reasons of its rejected rows, poison-proof: when
normalise() raises, the batch is halved until the records that make it raise are alone, and each of them is
rejected with the exception as its reason. Pure and thread-safe: batches are validated in parallel."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.conversion.read.batch import ParsedBatch
from order_pipeline.conversion.validate.normalise import normalise
from order_pipeline.datasets.declaration import SOURCE_RECORD_COLUMN, Dataset

Reasons = dict[int, list[tuple[str | None, str]]]  # row of the batch -> (field, reason) of its rejection


@dataclass
class Validated:
    batch: ParsedBatch
    tables: list[dict[str, pa.Table]]  # canonical rows of the valid records, table by table
    reasons: Reasons

    def shifted(self, records_before: int) -> Validated:
        """This batch with its ordinals (and the source record column) counted from the start of the file
        instead of its chunk."""
        if not records_before:
            return self
        tables = [
            {name: _shift_records(table, records_before) for name, table in table_set.items()}
            for table_set in self.tables
        ]
        return replace(self, batch=self.batch.shifted(records_before), tables=tables)


def _shift_records(table: pa.Table, offset: int) -> pa.Table:
    index = table.schema.get_field_index(SOURCE_RECORD_COLUMN)
    if index < 0:
        return table
    column = table.column(index)
    shifted = pc.add(column, pa.scalar(offset, column.type))
    return table.set_column(index, table.schema.field(index), shifted)


def _normalise_isolating(
    dataset: Dataset, table: pa.Table, ordinals: np.ndarray, name: str, landed_at: datetime, start: int = 0
) -> tuple[list[dict[str, pa.Table]], Reasons]:
    """normalise() on `table`, isolating the records that make it raise. Returns the tables to write and the
    reasons of the rejected rows (row indices of `table`, offset by `start`)."""
    try:
        result = normalise(dataset, table, ordinals, name, landed_at)
    except Exception as exc:  # noqa: BLE001 - one record's failure must not fail its neighbours
        if table.num_rows == 0:
            raise
        if table.num_rows == 1:
            return [], {start: [(None, f"could not be converted ({type(exc).__name__}: {str(exc)[:300]})")]}
        middle = table.num_rows // 2
        left_tables, left = _normalise_isolating(
            dataset, table.slice(0, middle), ordinals[:middle], name, landed_at, start
        )
        right_tables, right = _normalise_isolating(
            dataset, table.slice(middle), ordinals[middle:], name, landed_at, start + middle
        )
        return left_tables + right_tables, {**left, **right}
    return [result.tables], {start + row: reasons for row, reasons in result.failures.reasons.items()}


def validate(dataset: Dataset, batch: ParsedBatch, name: str, landed_at: datetime) -> Validated:
    tables, reasons = _normalise_isolating(dataset, batch.table, batch.ordinals, name, landed_at)
    return Validated(batch.validated(origin_needed=bool(reasons)), tables, reasons)
