"""Streams of JSON texts, one record per line, read in bounded chunks from JSON Lines or JSON documents."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from order_pipeline.conversion.errors import ConversionError
from order_pipeline.conversion.formats import UTF8_BOM, InputFormat

READ_BYTES = 1 << 20
MAX_RECORD_CHARS = 64 << 20  # a JSON document element larger than this is not a record, the file is broken

_WHITESPACE = re.compile(r"[ \t\r\n\ufeff]*")


@dataclass(frozen=True)
class TextChunk:
    """Complete lines of JSON text. `first_line` is the 1-based file line of the first one (None when the
    input is not line-oriented, i.e. JSON documents whose elements were re-joined one per line)."""

    data: bytes
    first_line: int | None


def open_stream(source: Path, fmt: InputFormat) -> pa.NativeFile:
    raw = pa.OSFile(str(source), "rb")
    return pa.CompressedInputStream(raw, "gzip") if fmt.gzip else raw


def _read(stream: pa.NativeFile, size: int, name: str) -> bytes:
    try:
        return stream.read(size)
    except (OSError, pa.ArrowInvalid) as exc:  # truncated or corrupt gzip stream
        raise ConversionError(f"{name}: unreadable input ({exc})") from exc


def jsonl_chunks(stream: pa.NativeFile, chunk_bytes: int, name: str) -> Iterator[TextChunk]:
    """Chunks of about `chunk_bytes` cut at line ends, tracking line numbers."""
    line = 1
    rest = b""
    first = True
    while True:
        data = _read(stream, chunk_bytes, name)
        if first and data.startswith(UTF8_BOM):
            data = data[len(UTF8_BOM):]
        first = False
        if not data:
            break
        buffer = rest + data if rest else data
        cut = buffer.rfind(b"\n") + 1
        if cut == 0:  # a line longer than a chunk: keep reading
            rest = buffer
            continue
        chunk, rest = buffer[:cut], buffer[cut:]
        yield TextChunk(chunk, line)
        line += chunk.count(b"\n")
    if rest:
        yield TextChunk(rest + b"\n", line)


class _DocumentReader:
    """Top-level values of a JSON document stream (`[v, v, ...]` or `v v ...`), each as one-line text."""

    def __init__(self, stream: pa.NativeFile, name: str) -> None:
        self.stream = stream
        self.name = name
        # Invalid bytes become lone surrogates and are restored by document_chunks, so that a record holding
        # them is rejected on its own (by the chunk reader's UTF-8 check) rather than failing the whole file.
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self.json = json.JSONDecoder()
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.offset = 0  # characters consumed before self.buffer (for error positions)

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = _read(self.stream, READ_BYTES, self.name)
        text = self.decoder.decode(data, final=not data)
        self.offset += self.pos
        self.buffer = self.buffer[self.pos:] + text
        self.pos = 0
        self.eof = not data
        return True

    def _peek(self) -> str:
        """The next non-whitespace character ('' at the end of input), not consumed."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def _error(self, what: str) -> ConversionError:
        where = self.offset + self.pos
        return ConversionError(f"{self.name}: invalid JSON document: {what} at character {where}")

    def value(self) -> str:
        if not self._peek():
            raise self._error("unexpected end of input")
        while True:
            try:
                _, end = self.json.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buffer) - self.pos > MAX_RECORD_CHARS or not self._fill():
                    raise self._error(exc.msg) from exc
                continue
            if end == len(self.buffer) and not self.eof:  # a number may continue in the next read
                self._fill()
                continue
            text = self.buffer[self.pos:end]
            self.pos = end
            # JSON strings cannot hold raw line breaks, so this keeps the value intact on one line.
            return text.replace("\n", " ").replace("\r", " ")

    def values(self) -> Iterator[str]:
        if self._peek() != "[":
            while self._peek():
                yield self.value()
            return
        self.pos += 1
        if self._peek() == "]":
            self.pos += 1
        else:
            while True:
                yield self.value()
                separator = self._peek()
                self.pos += 1
                if separator == "]":
                    break
                if separator != ",":
                    raise self._error("expected ',' or ']'" if separator else "unterminated array")
        if self._peek():
            raise self._error("unexpected data after the array")


def _encode(texts: list[str]) -> bytes:
    return ("\n".join(texts) + "\n").encode("utf-8", "surrogateescape")


def document_chunks(stream: pa.NativeFile, batch_rows: int, name: str) -> Iterator[TextChunk]:
    """Elements of a JSON array (or the objects of a JSON document stream), `batch_rows` per chunk."""
    pending: list[str] = []
    for text in _DocumentReader(stream, name).values():
        pending.append(text)
        if len(pending) >= batch_rows:
            yield TextChunk(_encode(pending), None)
            pending = []
    if pending:
        yield TextChunk(_encode(pending), None)
