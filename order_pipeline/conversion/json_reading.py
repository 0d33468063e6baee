"""Chunks of JSON text -> ParsedBatch. Fast path: Arrow's multi-threaded JSON reader on the whole chunk.
Slow path (a chunk the fast reader refuses): line by line, so each bad record becomes a precise reject and
the good ones are still read by Arrow, giving exactly the rows the fast path would have given."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.json as pj

from order_pipeline.conversion.batch import ParsedBatch, Reject
from order_pipeline.conversion.diagnose import record_problem
from order_pipeline.conversion.text_sources import TextChunk

ARROW_BLOCK_BYTES = 64 << 20  # at least a chunk: each chunk is parsed as one block


class JsonChunkReader:
    def __init__(self, schema: pa.Schema, reject_extra: bool) -> None:
        self.schema = schema
        self.reject_extra = reject_extra
        self.parse_options = pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="error" if reject_extra else "ignore"
        )
        # One chunk per thread: chunks are parsed in parallel by the caller (see ordered_map).
        self.read_options = pj.ReadOptions(use_threads=False, block_size=ARROW_BLOCK_BYTES)

    def _arrow_read(self, data: bytes) -> pa.Table:
        return pj.read_json(pa.py_buffer(data), read_options=self.read_options,
                            parse_options=self.parse_options)

    def read(self, chunk: TextChunk) -> ParsedBatch:
        """The chunk's records; ordinals count from 1 within the chunk (the caller shifts them)."""
        try:
            table = self._arrow_read(chunk.data)
        except pa.ArrowException:
            return self._read_slowly(chunk)
        if not valid_utf8(chunk.data):  # Arrow passes invalid UTF-8 in strings through to the output
            return self._read_slowly(chunk)
        lines = _ChunkLines(chunk)
        # Arrow skips blank lines and would read two objects on one line as two rows: count to be sure.
        if table.num_rows != chunk.data.count(b"\n") and table.num_rows != len(lines.records()):
            return self._read_slowly(chunk)
        ordinals = np.arange(1, 1 + table.num_rows, dtype=np.int64)
        return ParsedBatch(table, ordinals, table.num_rows, lines.origin)

    def _read_slowly(self, chunk: TextChunk) -> ParsedBatch:
        rejects: list[Reject] = []
        kept: list[tuple[int, int | None, bytes]] = []  # (ordinal, line, text)
        ordinal = 0
        for line, text in _ChunkLines(chunk).records():
            ordinal += 1
            try:
                decoded = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                reason = f"invalid UTF-8: byte 0x{text[exc.start]:02x} at position {exc.start} ({exc.reason})"
                rejects.append(Reject(ordinal, line, [(None, reason)], _text(text)))
                continue
            try:
                record = json.loads(decoded, parse_float=Decimal)
            except ValueError as exc:
                rejects.append(Reject(ordinal, line, [(None, f"invalid JSON: {exc}")], _text(text)))
                continue
            problem = record_problem(record, self.schema, self.reject_extra)
            if problem:
                rejects.append(Reject(ordinal, line, [problem], _raw(text)))
            else:
                kept.append((ordinal, line, text))
        tables, refused = self._read_isolating([text for _, _, text in kept])
        for index, message in refused:
            ordinal, line, text = kept[index]
            rejects.append(Reject(ordinal, line, [(None, f"unreadable record: {message}")], _raw(text)))
        refused_rows = {index for index, _ in refused}
        rows = [entry for index, entry in enumerate(kept) if index not in refused_rows]
        table = pa.concat_tables(tables) if tables else self.schema.empty_table()
        rejects.sort(key=lambda reject: reject.record)

        def origin(row: int) -> tuple[int | None, Any]:
            return rows[row][1], _raw(rows[row][2])

        ordinals = np.array([ordinal for ordinal, _, _ in rows], dtype=np.int64)
        return ParsedBatch(table, ordinals, ordinal, origin, rejects)

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
        except pa.ArrowException as exc:
            error = str(exc).removeprefix("JSON parse error: ")
        if len(texts) == 1:
            return [], [(0, error)]
        middle = len(texts) // 2
        left_tables, left_refused = self._read_isolating(texts[:middle])
        right_tables, right_refused = self._read_isolating(texts[middle:])
        return left_tables + right_tables, left_refused + [(i + middle, m) for i, m in right_refused]


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

    def records(self) -> list[tuple[int | None, bytes]]:
        if self._records is None:
            first = self.chunk.first_line
            self._records = [
                (None if first is None else first + index, text)
                for index, text in enumerate(self.chunk.data.split(b"\n")[:-1])
                if text.strip()
            ]
        return self._records

    def origin(self, row: int) -> tuple[int | None, Any]:
        line, text = self.records()[row]
        return line, _raw(text)


def _text(text: bytes) -> str:
    return text.decode("utf-8", "replace").rstrip("\r")


def _raw(text: bytes) -> Any:
    """The record as JSON (for reject reports), or its text when it does not parse."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _text(text)

