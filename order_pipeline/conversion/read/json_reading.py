"""Chunks of JSON text -> ParsedBatch. Fast path: Arrow's multi-threaded JSON reader on the whole chunk.
Slow path (a chunk the fast reader refuses): line by line, so each bad record becomes a precise reject and
the good ones are still read by Arrow, giving exactly the rows the fast path would have given.

Every non-blank line of a chunk is one record, and every record ends up either as a row or as a reject:
`ParsedBatch.records` counts them all (the engine checks the books).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.json as pj

from order_pipeline.conversion.read.batch import ParsedBatch, Reject
from order_pipeline.conversion.read.diagnose import Problem, lone_surrogate, record_problem
from order_pipeline.conversion.read.input_schema import RawJsonField
from order_pipeline.conversion.read.json_values import (
    UnreadableRecord,
    has_unexpected_field,
    key_tree,
    parse,
    raw_json_columns,
)
from order_pipeline.conversion.read.nesting import MAX_DEPTH, too_deep
from order_pipeline.conversion.read.text_sources import MAX_LINE_BYTES, OversizedLine, TextChunk

ARROW_BLOCK_BYTES = 64 << 20  # at least a chunk: each chunk is parsed as one block
_BLANK = b" \t"  # what Arrow skips as a blank line (line ends are already `\n` only)
_NEWLINE = ord("\n")
_BLANK_STARTS = np.frombuffer(b"\n \t", dtype=np.uint8)  # a line starting so may be blank


class JsonChunkReader:
    """`schema` is what Arrow reads; with json columns (`raw_fields`), `diagnose_schema` also holds their fields
    (as null: any value) and the unexpected-field check moves from Arrow to the raw pass."""

    def __init__(
        self,
        schema: pa.Schema,
        reject_extra: bool,
        raw_fields: Sequence[RawJsonField] = (),
        diagnose_schema: pa.Schema | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.schema = schema
        self.max_line_bytes = max_line_bytes
        self.reject_extra = reject_extra
        self.raw_fields = tuple(raw_fields)
        self.diagnose_schema = diagnose_schema if diagnose_schema is not None else schema
        self.keys = key_tree(self.diagnose_schema) if reject_extra and self.raw_fields else None
        arrow_rejects = reject_extra and not self.raw_fields
        self.parse_options = pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="error" if arrow_rejects else "ignore"
        )
        # One chunk per thread: chunks are parsed in parallel by the caller (see ordered_map).
        self.read_options = pj.ReadOptions(use_threads=False, block_size=ARROW_BLOCK_BYTES)

    def _arrow_read(self, data: bytes) -> pa.Table:
        return pj.read_json(pa.py_buffer(data), read_options=self.read_options, parse_options=self.parse_options)

    def read(self, chunk: TextChunk) -> ParsedBatch:
        """The chunk's records; ordinals count from 1 within the chunk (the caller shifts them)."""
        if chunk.oversized is not None:
            return self._oversized(chunk.first_line, chunk.oversized)
        try:
            table = self._arrow_read(chunk.data)
        except Exception:  # noqa: BLE001 - whatever the fast reader refuses, the slow path explains per record
            return self._read_slowly(chunk)
        if not valid_utf8(chunk.data):  # Arrow passes invalid UTF-8 in strings through to the output
            return self._read_slowly(chunk)
        lines = _ChunkLines(chunk)
        # Arrow skips blank lines and would read two objects on one line as two rows: count to be sure.
        if table.num_rows != lines.count():
            return self._read_slowly(chunk)
        if self.raw_fields:
            try:
                records = [parse(text) for _, text in lines.records()]
            except UnreadableRecord:
                return self._read_slowly(chunk)
            if self.keys is not None and any(has_unexpected_field(record, self.keys) for record in records):
                return self._read_slowly(chunk)
            table = _with_columns(table, raw_json_columns(self.raw_fields, records))
        ordinals = np.arange(1, 1 + table.num_rows, dtype=np.int64)
        return ParsedBatch(table, ordinals, table.num_rows, lines.origin)

    def _oversized(self, line: int | None, oversized: OversizedLine) -> ParsedBatch:
        limit = self.max_line_bytes
        reason = (
            oversized.reason
            or f"line is {oversized.size} bytes long, more than the limit of {limit} bytes "
            f"(max_record_bytes, ORDER_PIPELINE_MAX_RECORD_BYTES): not read"
        ) + f" (the report keeps its first {len(oversized.head)} bytes)"
        reject = Reject(1, line, [(None, reason)], _text(oversized.head), raw_bytes=oversized.size)
        return ParsedBatch(self.schema.empty_table(), np.zeros(0, dtype=np.int64), 1, _no_rows, [reject])

    def _read_slowly(self, chunk: TextChunk) -> ParsedBatch:
        rejects: list[Reject] = []
        kept: list[tuple[int, int | None, bytes]] = []  # (ordinal, line, text)
        deep: set[int] = set()  # indices into `kept` of records too deep to diagnose here (Arrow decides)
        records = _ChunkLines(chunk).records()
        for ordinal, (line, text) in enumerate(records, start=1):
            try:
                problem = self._line_problem(text)
            except Exception as exc:  # noqa: BLE001 - one record's failure is that record's reject
                problem = (None, f"could not be read ({type(exc).__name__}: {str(exc)[:300]})")
            if problem is _TOO_DEEP:
                deep.add(len(kept))
                kept.append((ordinal, line, text))
            elif problem is not None:
                rejects.append(Reject(ordinal, line, [problem], _raw(text)))
            else:
                kept.append((ordinal, line, text))
        tables, refused = self._read_isolating([text for _, _, text in kept])
        for index, message in refused:
            ordinal, line, text = kept[index]
            if index in deep:
                reason = f"nested deeper than {MAX_DEPTH} levels ({message})"
            else:
                reason = f"unreadable record: {message}"
            rejects.append(Reject(ordinal, line, [(None, reason)], _raw(text)))
        refused_rows = {index for index, _ in refused}
        rows = [entry for index, entry in enumerate(kept) if index not in refused_rows]
        table = pa.concat_tables(tables) if tables else self.schema.empty_table()
        if self.raw_fields:
            table, rows = self._add_raw_json(table, rows, rejects)
        rejects.sort(key=lambda reject: reject.record)

        def origin(row: int) -> tuple[int | None, Any]:
            return rows[row][1], _raw(rows[row][2])

        ordinals = np.array([entry[0] for entry in rows], dtype=np.int64)
        return ParsedBatch(table, ordinals, len(records), origin, rejects)

    def _add_raw_json(
        self, table: pa.Table, rows: list[tuple[int, int | None, bytes]], rejects: list[Reject]
    ) -> tuple[pa.Table, list[tuple[int, int | None, bytes]]]:
        """The json columns of the rows Arrow read; a row this pass cannot parse becomes a reject."""
        records, keep = [], []
        for ordinal, line, text in rows:
            try:
                records.append(parse(text))
                keep.append(True)
            except UnreadableRecord as exc:
                rejects.append(Reject(ordinal, line, [(None, f"unreadable record: {str(exc)[:300]}")], _raw(text)))
                keep.append(False)
        if not all(keep):
            table = table.filter(pa.array(keep))
            rows = [row for row, kept in zip(rows, keep, strict=True) if kept]
        return _with_columns(table, raw_json_columns(self.raw_fields, records)), rows

    def _line_problem(self, text: bytes) -> Problem | None:
        """Why one line is not a readable record, or None; _TOO_DEEP when only Arrow can tell."""
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"invalid UTF-8: byte 0x{text[exc.start]:02x} at position {exc.start} ({exc.reason})"
        if too_deep(text):  # json.loads recurses: Arrow's parser does not, and drops what is not declared
            return _TOO_DEEP
        try:
            record = json.loads(decoded, parse_float=Decimal)
        except ValueError as exc:
            return None, f"invalid JSON: {exc}"
        surrogate = lone_surrogate(record) if "\\u" in decoded else None
        if surrogate is not None:
            return surrogate
        return record_problem(record, self.diagnose_schema, self.reject_extra)

    def _read_isolating(self, texts: list[bytes]) -> tuple[list[pa.Table], list[tuple[int, str]]]:
        """Read `texts` with Arrow, halving on failure to isolate the records Arrow refuses (a safety net
        for what `record_problem` does not foresee, e.g. duplicate keys)."""
        if not texts:
            return [], []
        try:
            table = self._arrow_read(b"\n".join(texts) + b"\n")
            if table.num_rows == len(texts):
                return [table], []
            error = "one line holds more than one record"
        except Exception as exc:  # noqa: BLE001 - isolated below, down to the one record that fails
            error = _arrow_message(exc)
        if len(texts) == 1:
            return [], [(0, error)]
        middle = len(texts) // 2
        left_tables, left_refused = self._read_isolating(texts[:middle])
        right_tables, right_refused = self._read_isolating(texts[middle:])
        return left_tables + right_tables, left_refused + [(i + middle, m) for i, m in right_refused]


_TOO_DEEP: Problem = (None, "too deep")  # a marker, compared by identity


def _arrow_message(exc: Exception) -> str:
    message = str(exc).removeprefix("JSON parse error: ")
    if isinstance(exc, pa.ArrowException):
        message = message.removesuffix(" in row 0")  # one record at a time: the row number says nothing
    else:
        message = f"{type(exc).__name__}: {message}"
    return message[:500]


def _with_columns(table: pa.Table, columns: dict[str, pa.Array]) -> pa.Table:
    for name, values in columns.items():
        table = table.append_column(name, values)
    return table


def _no_rows(row: int) -> tuple[int | None, Any]:
    raise IndexError(f"no row {row}: the batch has no rows")


def valid_utf8(data: bytes) -> bool:
    """Whether `data` is valid UTF-8: one zero-copy Arrow pass outside the GIL (`bytes.decode` would copy the
    chunk into a str and hold the GIL, ~10x slower)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


class _ChunkLines:
    """The non-blank lines of a chunk with their line numbers, split only when needed."""

    def __init__(self, chunk: TextChunk) -> None:
        self.chunk = chunk
        self._records: list[tuple[int | None, bytes]] | None = None

    def count(self) -> int:
        """How many records (non-blank lines) the chunk holds; without splitting when no line can be blank.
        One vectorised pass finds the line ends and looks at the byte after each (several `bytes` searches
        cost ~10x more and hold the GIL)."""
        data = self.chunk.data
        codes = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(codes == _NEWLINE)
        starts = codes[ends[:-1] + 1]  # the first byte of every line after the first
        if data[:1] in (b"\n", b" ", b"\t") or np.isin(starts, _BLANK_STARTS).any():
            return len(self.records())
        return len(ends)

    def records(self) -> list[tuple[int | None, bytes]]:
        if self._records is None:
            first = self.chunk.first_line
            self._records = [
                (None if first is None else first + index, text)
                for index, text in enumerate(self.chunk.data.split(b"\n")[:-1])
                if text.strip(_BLANK)
            ]
        return self._records

    def origin(self, row: int) -> tuple[int | None, Any]:
        line, text = self.records()[row]
        return line, _raw(text)


def _text(text: bytes) -> str:
    return text.decode("utf-8", "replace")


def _raw(text: bytes) -> Any:
    """The record as JSON (for reject reports), or its text when it does not parse or is nested too deeply
    to be written back as JSON."""
    if too_deep(text):
        return _text(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _text(text)
