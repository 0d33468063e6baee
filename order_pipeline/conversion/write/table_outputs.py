"""The canonical Parquet of each table, streamed: written under a temporary name and renamed on `commit`, so a
file rejected half-way leaves no Parquet output behind. Only files this conversion wrote are ever removed: a folder
already holding an output name is refused."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.datasets.declaration import SOURCE_FILE_COLUMN, Dataset

# A row group is written when a table has buffered row_group_rows rows or this many Arrow bytes, whichever comes
# first: wide rows do not make a file's buffer (and the concatenated copy written from it) grow with the file
# (issue 24: memory that does not follow partition size).
ROW_GROUP_BYTES = 8 << 20


def _dictionary_columns(dataset: Dataset, table: str) -> list[str]:
    """Dictionary-encode only columns declared with a closed set of values (and the constant source file):
    dictionary encoding of high-cardinality columns costs a lot of write time for nothing."""
    return [c.name for c in dataset.table_columns(table) if c.allowed is not None or c.name == SOURCE_FILE_COLUMN]


def _statistics_columns(dataset: Dataset, table: str) -> list[str]:
    """Min/max statistics for every column but free text (strings with no closed set, pattern or key role):
    a name's or a street's range prunes nothing, and comparing every string costs ~15% of the write time."""
    return [
        c.name
        for c in dataset.table_columns(table)
        if c.kind != "string"
        or c.allowed is not None
        or c.pattern is not None
        or c.name in dataset.merge_key
        or c.name == SOURCE_FILE_COLUMN
    ]


class TableOutputs:
    def __init__(self, dataset: Dataset, out_dir: Path, row_group_rows: int) -> None:
        self.dataset = dataset
        self.row_group_rows = row_group_rows
        self.buffered: dict[str, list[pa.Table]] = {table: [] for table in dataset.table_names}
        self.buffered_rows = {table: 0 for table in dataset.table_names}
        self.buffered_bytes = {table: 0 for table in dataset.table_names}
        self.final = {table: out_dir / f"{table}.parquet" for table in dataset.table_names}
        self.partial = {table: out_dir / f".{table}.parquet.partial" for table in dataset.table_names}
        for path in (*self.final.values(), *self.partial.values()):
            if path.exists():
                raise FileExistsError(f"{path} already exists: convert into a folder without earlier outputs")
        self.rows = {table: 0 for table in dataset.table_names}
        self.writers = {
            table: pq.ParquetWriter(
                self.partial[table],
                dataset.arrow_schema(table),
                compression="snappy",
                use_dictionary=_dictionary_columns(dataset, table),
                write_statistics=_statistics_columns(dataset, table),
            )
            for table in dataset.table_names
        }

    def write(self, tables: dict[str, pa.Table]) -> None:
        """Buffer rows until a row group's worth (parsing works on smaller chunks than a good row group)."""
        for table, rows in tables.items():
            if rows.num_rows:
                self.buffered[table].append(rows)
                self.buffered_rows[table] += rows.num_rows
                self.buffered_bytes[table] += rows.nbytes
                self.rows[table] += rows.num_rows
                if self.buffered_rows[table] >= self.row_group_rows or self.buffered_bytes[table] >= ROW_GROUP_BYTES:
                    self._flush(table)

    def _flush(self, table: str) -> None:
        if self.buffered[table]:
            self.writers[table].write_table(pa.concat_tables(self.buffered[table]))
        self.buffered[table] = []
        self.buffered_rows[table] = 0
        self.buffered_bytes[table] = 0

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
        for path in self.partial.values():
            path.unlink(missing_ok=True)
