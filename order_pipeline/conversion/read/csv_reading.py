"""CSV and TSV input -> ParsedBatch, streamed in batches of rows (memory bounded by the batch, not the file).

Python's `csv` module (C) splits the records: quoted fields may hold the delimiter, doubled quotes and line
ends. The first record is the header; columns are matched to the declaration by header name (a column's
source path or its name). Values stay text here, except booleans (their spellings are the dataset's CSV
options): validation casts text to every other kind exactly as it does JSON text.

A malformed record (a field count other than the header's, a quote opened and never closed, a character after
a closing quote, invalid UTF-8, a bad boolean) is one reject with its line number and reason, and reading goes
on. A quote left open swallows the lines after it: the record is rejected as its first line alone and the
following lines are read again, so one stray quote costs one record, not the rest of the file. The `csv`
module's field size limit (128 KiB) bounds what an open quote can swallow.
"""

from __future__ import annotations

import csv
import gzip
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from order_pipeline.conversion.errors import ConversionError, SchemaMismatch
from order_pipeline.conversion.read.batch import ParsedBatch, Reject
from order_pipeline.conversion.read.formats import UTF8_BOM, InputFormat
from order_pipeline.conversion.read.schema_check import UndeclaredField
from order_pipeline.datasets.csv_options import DELIMITER_CANDIDATES, CsvOptions
from order_pipeline.datasets.declaration import Column, Dataset

RAW_CHARS = 2000  # what a reject report keeps of a malformed record's text


def detect_delimiter(header: str, quote: str) -> str:
    """The one candidate delimiter the header line holds outside quotes; a comma when none or several."""
    outside = "".join(part for index, part in enumerate(header.split(quote)) if index % 2 == 0)
    found = [d for d in DELIMITER_CANDIDATES if d in outside]
    return found[0] if len(found) == 1 else ","


class _Lines:
    """The file's lines as text for `csv.reader`, numbered, with the lines of the record being read kept so
    that a malformed record's later lines can be pushed back and read again."""

    def __init__(self, binary: IO[bytes]) -> None:
        self.binary = binary
        self.number = 0  # of the last line read from the file
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.bad_utf8: str | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            entry = self.pending.popleft()
        else:
            line = self.binary.readline()
            if not line:
                raise StopIteration
            self.number += 1
            if self.number == 1 and line.startswith(UTF8_BOM):
                line = line[len(UTF8_BOM) :]
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                if self.bad_utf8 is None:
                    self.bad_utf8 = f"invalid UTF-8: byte 0x{line[exc.start]:02x} on line {self.number}"
                text = line.decode("utf-8", "replace")
            entry = (self.number, text)
        self.taken.append(entry)
        return entry[1]

    def start(self) -> None:
        self.taken = []
        self.bad_utf8 = None

    def push_back_after_first(self) -> None:
        """Read the lines of the current record after its first again (a quote left open swallowed them)."""
        self.pending.extendleft(reversed(self.taken[1:]))
        self.taken = self.taken[:1]

    @property
    def first_line(self) -> int:
        return self.taken[0][0]

    def text(self) -> str:
        return "".join(text for _, text in self.taken)[:RAW_CHARS]


def _open_binary(source: Path, fmt: InputFormat) -> IO[bytes]:
    if fmt.gzip:
        return cast(IO[bytes], gzip.open(source, "rb"))
    return open(source, "rb")  # noqa: SIM115 - closed by the caller


def _header_columns(dataset: Dataset, header: list[str], name: str) -> dict[str, Column]:
    """Header name -> the declared column it holds; SchemaMismatch for duplicates, or undeclared columns when
    the dataset rejects unexpected fields."""
    by_name = {}
    for column in dataset.value_columns:
        by_name[column.source_path] = column
        by_name.setdefault(column.name, column)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise SchemaMismatch(f"{name}: the header names {', '.join(map(repr, duplicates))} more than once", 0)
    undeclared = [h for h in header if h not in by_name]
    if undeclared and dataset.extra_fields == "reject":
        raise SchemaMismatch(
            f"{name}: the header holds undeclared columns {', '.join(map(repr, undeclared))} "
            "(the dataset rejects unexpected fields)",
            0,
        )
    return {h: by_name[h] for h in header if h in by_name}


class _BatchBuilder:
    """Good records of one batch, as columns of text, turned into a ParsedBatch."""

    def __init__(self, header: list[str], columns: dict[str, Column], options: CsvOptions) -> None:
        self.header, self.columns, self.options = header, columns, options
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.ordinals: list[int] = []
        self.rejects: list[Reject] = []
        self.records = 0
        self.true = pa.array(sorted({v.lower() for v in options.true_values}), pa.string())
        self.false = pa.array(sorted({v.lower() for v in options.false_values}), pa.string())

    def add(self, ordinal: int, line: int, fields: list[str]) -> None:
        self.rows.append(fields)
        self.lines.append(line)
        self.ordinals.append(ordinal)
        self.records += 1

    def reject(self, ordinal: int, line: int, reason: str, raw: Any, field: str | None = None) -> None:
        self.rejects.append(Reject(ordinal, line, [(field, f"line {line}: {reason}")], raw))
        self.records += 1

    def _values(self, index: int, column: Column | None) -> pa.Array:
        texts = [row[index] for row in self.rows]
        marker = self.options.null_marker
        keep_empty = marker is not None and column is not None and column.kind in ("string", "json")
        nulls = {marker} if marker is not None else set()
        if not keep_empty:
            nulls.add("")
        values = pa.array([None if text in nulls else text for text in texts], pa.string())
        if column is not None and column.kind not in ("string", "json"):
            values = pc.utf8_trim_whitespace(values)
        return values

    @property
    def _spellings(self) -> str:
        return f"true: {', '.join(self.options.true_values)}; false: {', '.join(self.options.false_values)}"

    def _booleans(self, header: str, values: pa.Array) -> tuple[pa.Array, np.ndarray]:
        lowered = pc.utf8_lower(values)
        true = pc.is_in(lowered, value_set=self.true)
        false = pc.is_in(lowered, value_set=self.false)
        bad = ~np.asarray(pc.or_(true, false).to_numpy(zero_copy_only=False), dtype=bool)
        bad &= np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        result = pc.if_else(values.is_null(), pa.scalar(None, pa.bool_()), true)
        return result, bad

    def build(self) -> ParsedBatch:
        arrays: dict[str, pa.Array] = {}
        bad = np.zeros(len(self.rows), dtype=bool)
        reasons: dict[int, tuple[str, str]] = {}
        for index, header in enumerate(self.header):
            column = self.columns.get(header)
            values = self._values(index, column)
            if column is not None and column.kind == "boolean":
                values, wrong = self._booleans(header, values)
                for row in np.flatnonzero(wrong & ~bad):
                    text = self.rows[row][index]
                    reasons[int(row)] = (header, f"{text!r} is not a boolean ({self._spellings})")
                bad |= wrong
            arrays[header] = values
        table = pa.table(arrays) if arrays else pa.table({})
        rows, lines, ordinals = self.rows, self.lines, self.ordinals
        rejects = list(self.rejects)
        if bad.any():
            for row in np.flatnonzero(bad):
                field, reason = reasons[int(row)]
                line = lines[row]
                raw = dict(zip(self.header, rows[row], strict=True))
                rejects.append(Reject(ordinals[row], line, [(field, f"line {line}: {reason}")], raw))
            keep = ~bad
            table = table.filter(pa.array(keep))
            rows = [r for r, k in zip(rows, keep, strict=True) if k]
            lines = [n for n, k in zip(lines, keep, strict=True) if k]
            ordinals = [o for o, k in zip(ordinals, keep, strict=True) if k]
        rejects.sort(key=lambda reject: reject.record)
        names = self.header

        def origin(row: int) -> tuple[int | None, Any]:
            return lines[row], dict(zip(names, rows[row], strict=True))

        return ParsedBatch(table, np.array(ordinals, dtype=np.int64), self.records, origin, rejects)


def csv_batches(source: Path, fmt: InputFormat, dataset: Dataset, batch_rows: int, name: str) -> Iterator[ParsedBatch]:
    """The file's records in batches of up to `batch_rows`, ordinals counted from the start of the file (the
    header is not a record)."""
    options = dataset.csv
    with _open_binary(source, fmt) as binary:
        lines = _Lines(binary)
        try:
            first = lines.binary.readline()
        except (OSError, EOFError) as exc:
            raise ConversionError(f"{name}: unreadable input ({exc})") from exc
        if first.startswith(UTF8_BOM):
            first = first[len(UTF8_BOM) :]
        head_text = first.decode("utf-8", "replace")
        delimiter = options.delimiter or ("\t" if fmt.kind == "tsv" else detect_delimiter(head_text, options.quote))
        lines.pending.append((1, first.decode("utf-8", "replace")))
        lines.number = 1
        reader = csv.reader(lines, delimiter=delimiter, quotechar=options.quote, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise ConversionError(f"{name}: unreadable CSV header on line 1 ({exc})") from exc
        if not header:
            raise ConversionError(f"{name}: the file is empty (no header line)")
        header = [h.strip() for h in header]
        columns = _header_columns(dataset, header, name)
        width = len(header)
        ordinal = 0
        builder = _BatchBuilder(header, columns, options)
        while True:
            lines.start()
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                lines.push_back_after_first()
                ordinal += 1
                builder.reject(ordinal, lines.first_line, f"malformed CSV ({exc})", lines.text())
                continue
            except (OSError, EOFError) as exc:
                raise ConversionError(f"{name}: unreadable input ({exc})") from exc
            if not fields or (len(fields) == 1 and not fields[0].strip() and width > 1):
                continue  # a blank line is not a record
            ordinal += 1
            if lines.bad_utf8 is not None:
                builder.reject(ordinal, lines.first_line, lines.bad_utf8, lines.text())
            elif len(fields) != width:
                spanned = len(lines.taken)
                if spanned > 1:
                    lines.push_back_after_first()
                    reason = (
                        f"{len(fields)} fields where the header has {width}: a quote opened on this line runs "
                        f"over {spanned} lines (an unclosed quote?)"
                    )
                else:
                    reason = f"{len(fields)} fields where the header has {width}"
                builder.reject(ordinal, lines.first_line, reason, lines.text())
            else:
                builder.add(ordinal, lines.first_line, fields)
            if builder.records >= batch_rows:
                yield builder.build()
                builder = _BatchBuilder(header, columns, options)
        if builder.records:
            yield builder.build()


def csv_header(source: Path, fmt: InputFormat, dataset: Dataset) -> list[str]:
    """The header names of a CSV/TSV file (empty for an empty file)."""
    with _open_binary(source, fmt) as binary:
        first = binary.readline()
    text = first.removeprefix(UTF8_BOM).decode("utf-8", "replace")
    options = dataset.csv
    delimiter = options.delimiter or ("\t" if fmt.kind == "tsv" else detect_delimiter(text, options.quote))
    rows = list(csv.reader([text], delimiter=delimiter, quotechar=options.quote))
    return [h.strip() for h in rows[0]] if rows else []


def undeclared_csv_columns(dataset: Dataset, source: Path, fmt: InputFormat, name: str) -> list[UndeclaredField]:
    """The header's columns the declaration does not name (read as text: CSV has no types)."""
    declared = {c.source_path for c in dataset.value_columns} | {c.name for c in dataset.value_columns}
    return [UndeclaredField(h, pa.string()) for h in csv_header(source, fmt, dataset) if h and h not in declared]
