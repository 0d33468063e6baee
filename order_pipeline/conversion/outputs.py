"""Streaming writers: one Parquet file per table, and the rejects report (JSON Lines).

Parquet files are written under a temporary name and renamed on `commit`, so a file rejected half-way
leaves no Parquet output behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion.batch import Reject
from order_pipeline.datasets.declaration import SOURCE_FILE_COLUMN, Dataset

REJECTS_FILE = "rejects.jsonl"
FIRST_REJECTS = 10
FIRST_REPORT_BYTES = 16 << 10  # a longer report is kept in `first` with its raw record cut to a preview
RAW_PREVIEW_CHARS = 2000


def _dictionary_columns(dataset: Dataset, table: str) -> list[str]:
    """Dictionary-encode only columns declared with a closed set of values (and the constant source file):
    dictionary encoding of high-cardinality columns costs a lot of write time for nothing."""
    return [c.name for c in dataset.table_columns(table)
            if c.allowed is not None or c.name == SOURCE_FILE_COLUMN]


def _statistics_columns(dataset: Dataset, table: str) -> list[str]:
    """Min/max statistics for every column but free text (strings with no closed set, pattern or key role):
    a name's or a street's range prunes nothing, and comparing every string costs ~15% of the write time."""
    return [c.name for c in dataset.table_columns(table)
            if c.kind != "string" or c.allowed is not None or c.pattern is not None
            or c.name in dataset.merge_key or c.name == SOURCE_FILE_COLUMN]


class TableOutputs:
    def __init__(self, dataset: Dataset, out_dir: Path, row_group_rows: int) -> None:
        self.dataset = dataset
        self.row_group_rows = row_group_rows
        self.buffered: dict[str, list[pa.Table]] = {table: [] for table in dataset.table_names}
        self.buffered_rows = {table: 0 for table in dataset.table_names}
        self.final = {table: out_dir / f"{table}.parquet" for table in dataset.table_names}
        self.partial = {table: out_dir / f".{table}.parquet.partial" for table in dataset.table_names}
        self.rows = {table: 0 for table in dataset.table_names}
        self.writers = {
            table: pq.ParquetWriter(self.partial[table], dataset.arrow_schema(table), compression="snappy",
                                    use_dictionary=_dictionary_columns(dataset, table),
                                    write_statistics=_statistics_columns(dataset, table))
            for table in dataset.table_names
        }

    def write(self, tables: dict[str, pa.Table]) -> None:
        """Buffer rows until a row group's worth (parsing works on smaller chunks than a good row group)."""
        for table, rows in tables.items():
            if rows.num_rows:
                self.buffered[table].append(rows)
                self.buffered_rows[table] += rows.num_rows
                self.rows[table] += rows.num_rows
                if self.buffered_rows[table] >= self.row_group_rows:
                    self._flush(table)

    def _flush(self, table: str) -> None:
        if self.buffered[table]:
            self.writers[table].write_table(pa.concat_tables(self.buffered[table]))
        self.buffered[table] = []
        self.buffered_rows[table] = 0

    def _close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def commit(self) -> dict[str, Path]:
        for table in self.writers:
            self._flush(table)
        self._close()
        for table, path in self.partial.items():
            path.replace(self.final[table])
        return dict(self.final)

    def discard(self) -> None:
        self.buffered = {table: [] for table in self.writers}
        self._close()
        for table, path in self.partial.items():
            path.unlink(missing_ok=True)
            self.final[table].unlink(missing_ok=True)  # a stale output of an earlier run


def _json_default(value: Any) -> Any:
    return str(value)  # Decimal and friends from Parquet rows


def _dump(report: dict[str, Any]) -> bytes:
    """One reject report as JSON; a raw record JSON cannot hold (lone surrogates, say) is kept as its text."""
    try:
        return orjson.dumps(report, default=_json_default)
    except (TypeError, orjson.JSONEncodeError):
        try:
            raw = json.dumps(report.get("raw"), default=str)  # escapes what orjson refuses
        except (TypeError, ValueError, RecursionError) as exc:
            raw = f"(the raw record could not be written: {type(exc).__name__})"
        return orjson.dumps(dict(report, raw=raw), default=_json_default)


def _preview(line: bytes) -> dict[str, Any]:
    """A report as kept in `first` (conversion records, notifications): a long raw record is cut to its head,
    with its size; the rejects file keeps it whole."""
    report = orjson.loads(line)
    if len(line) > FIRST_REPORT_BYTES:
        raw = report.get("raw")
        text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
        report.update(raw=text[:RAW_PREVIEW_CHARS], raw_truncated=True,
                      raw_bytes=report.get("raw_bytes") or len(text.encode("utf-8", "replace")))
    return report


class RejectLog:
    """Appends reject reports to `out_dir/rejects.jsonl` (created on the first reject)."""

    def __init__(self, out_dir: Path, source_name: str) -> None:
        self.path = out_dir / REJECTS_FILE
        self.path.unlink(missing_ok=True)  # a stale report of an earlier run
        self.source_name = source_name
        self.count = 0
        self.first: list[dict[str, Any]] = []
        self._file: Any = None

    def add(self, rejects: list[Reject]) -> None:
        if not rejects:
            return
        if self._file is None:
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        lines = [_dump(reject.report(self.source_name)) for reject in rejects]
        self._file.write(b"".join(line + b"\n" for line in lines))
        self.count += len(lines)
        self.first.extend(_preview(line) for line in lines[: FIRST_REJECTS - len(self.first)])

    def close(self) -> Path | None:
        if self._file is not None:
            self._file.close()
            return self.path
        return None
