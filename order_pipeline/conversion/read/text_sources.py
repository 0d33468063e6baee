"""Streams of JSON texts, one record per line, read in bounded chunks from JSON Lines or JSON documents."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from order_pipeline.conversion.errors import ConversionError
from order_pipeline.conversion.limits import (
    DEFAULT_LIMITS,
    ConversionLimits,
    LimitExceeded,
    limit_reason,
)
from order_pipeline.conversion.read.formats import UTF8_BOM, InputFormat
from order_pipeline.conversion.read.nesting import ElementScanner

READ_BYTES = 1 << 20
# A JSON Lines line longer than this is rejected as a record without being held in memory (its head is kept
# for the report). Chunks stay below the Arrow block size (json_reading.ARROW_BLOCK_BYTES) with this bound.
MAX_LINE_BYTES = 32 << 20
OVERSIZED_HEAD_BYTES = 1024  # what the report keeps of an oversized line
MIN_CHUNK_BYTES = 16  # room for the BOM check
_NEWLINE = ord("\n")

_WHITESPACE = re.compile(r"[ \t\r\n\ufeff]*")


@dataclass(frozen=True)
class OversizedLine:
    """A line longer than MAX_LINE_BYTES (or a document element beyond a limit, `reason` saying which): skipped
    while reading; only its size and head are known."""

    size: int
    head: bytes
    reason: str | None = None


@dataclass(frozen=True)
class TextChunk:
    """Complete lines of JSON text, each ending with `\\n`. `first_line` is the 1-based file line of the first
    one (None when the input is not line-oriented, i.e. JSON documents whose elements were re-joined one per
    line). An oversized line comes alone, as `oversized` with empty `data`."""

    data: bytes
    first_line: int | None
    oversized: OversizedLine | None = None


class BoundedStream:
    """A gzip stream that stops with LimitExceeded once it expanded past the decompressed-bytes limit, or past
    the compression-ratio limit (judged after `ratio_grace_bytes`): a small file cannot make us read gigabytes."""

    def __init__(self, stream: pa.NativeFile, compressed: int, limits: ConversionLimits, name: str) -> None:
        self.stream, self.compressed, self.limits, self.name = stream, max(compressed, 1), limits, name
        self.read_bytes = 0

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.read_bytes += len(data)
        limits = self.limits
        if self.read_bytes > limits.max_decompressed_bytes:
            raise LimitExceeded(
                self.name,
                f"gzip data expands to more than {limits.max_decompressed_bytes} bytes",
                "max_decompressed_bytes",
                limits.max_decompressed_bytes,
            )
        if self.read_bytes > max(limits.ratio_grace_bytes, limits.max_compression_ratio * self.compressed):
            raise LimitExceeded(
                self.name,
                f"{self.compressed} bytes of gzip expand to more than {self.read_bytes} bytes "
                f"(over {self.read_bytes // self.compressed} times)",
                "max_compression_ratio",
                limits.max_compression_ratio,
            )
        return data

    def __enter__(self) -> BoundedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


def open_stream(
    source: Path, fmt: InputFormat, limits: ConversionLimits = DEFAULT_LIMITS, name: str = ""
) -> pa.NativeFile | BoundedStream:
    raw = pa.OSFile(str(source), "rb")
    if not fmt.gzip:
        return raw
    return BoundedStream(pa.CompressedInputStream(raw, "gzip"), source.stat().st_size, limits, name or str(source))


def _read(stream: pa.NativeFile, size: int, name: str) -> bytes:
    try:
        return stream.read(size)
    except (OSError, pa.ArrowInvalid) as exc:  # truncated or corrupt gzip stream
        raise ConversionError(f"{name}: unreadable input ({exc})") from exc


class _UniversalNewlines:
    """Reads of a stream with every line end (`\\r\\n`, a lone `\\r`, `\\n`) made `\\n`, the BOM dropped.

    A `\\r\\n` cut between two reads counts once: a read ending with `\\r` drops the `\\n` starting the next.
    """

    def __init__(self, stream: pa.NativeFile, read_bytes: int, name: str) -> None:
        self.stream, self.read_bytes, self.name = stream, read_bytes, name
        self.first = True
        self.after_cr = False

    def read(self) -> bytes:
        """The next normalised bytes; b"" only at the end of the input."""
        while True:
            data = _read(self.stream, self.read_bytes, self.name)
            if not data:
                return b""
            if self.first:
                while len(data) < len(UTF8_BOM) and UTF8_BOM.startswith(data):
                    more = _read(self.stream, self.read_bytes, self.name)
                    if not more:
                        break
                    data += more
                if data.startswith(UTF8_BOM):
                    data = data[len(UTF8_BOM) :]
                self.first = False
            if self.after_cr and data.startswith(b"\n"):
                data = data[1:]
            if data:
                self.after_cr = data.endswith(b"\r")
                if b"\r" in data:
                    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                return data


def line_ends(text: bytes) -> int:
    """How many `\n` `text` holds: numpy's vectorised compare is ~3x faster than `bytes.count` here."""
    return int(np.count_nonzero(np.frombuffer(text, dtype=np.uint8) == _NEWLINE))


def jsonl_chunks(
    stream: pa.NativeFile, chunk_bytes: int, name: str, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[TextChunk]:
    """Chunks of about `chunk_bytes` cut at line ends, tracking line numbers.

    Line ends are universal (`\\n`, `\\r\\n` or a lone `\\r`) and come out as `\\n`. A line longer than
    `max_line_bytes` is streamed past, not buffered, and comes as a chunk of its own with `oversized` set.
    """
    # Reads no longer than the line limit: a line held whole in one read is never oversized, so only the
    # line carried over from earlier reads (`rest`) needs watching.
    source = _UniversalNewlines(stream, max(min(chunk_bytes, max_line_bytes), MIN_CHUNK_BYTES), name)
    line = 1
    rest = b""  # the start of a line not ended yet
    skipped: tuple[int, bytes] | None = None  # (bytes so far, head) of an oversized line being skipped
    while True:
        data = source.read()
        if skipped is not None:
            end = data.find(b"\n")
            if data and end < 0:
                skipped = (skipped[0] + len(data), skipped[1])
                continue
            yield TextChunk(b"", line, OversizedLine(skipped[0] + max(end, 0), skipped[1]))
            line += 1
            skipped = None
            if end < 0:
                return
            data = data[end + 1 :]
        elif not data:
            break
        if rest:
            end = data.find(b"\n")  # where the carried-over line ends, counted from its start
            end = -1 if end < 0 else len(rest) + end
            if end > max_line_bytes or (end < 0 and len(rest) + len(data) > max_line_bytes):
                head = (rest[:OVERSIZED_HEAD_BYTES] + data[:OVERSIZED_HEAD_BYTES])[:OVERSIZED_HEAD_BYTES]
                if end < 0:
                    skipped = (len(rest) + len(data), head)
                    rest = b""
                    continue
                yield TextChunk(b"", line, OversizedLine(end, head))
                line += 1
                data = data[end - len(rest) + 1 :]
                rest = b""
        cut = data.rfind(b"\n") + 1
        if not cut:
            rest += data
            continue
        # One copy of the text per chunk: the carried-over start of a line joined with the complete lines read.
        chunk = b"".join((rest, memoryview(data)[:cut])) if rest else (data if cut == len(data) else data[:cut])
        rest = data[cut:]
        yield TextChunk(chunk, line)
        line += line_ends(chunk)
    if rest:
        yield TextChunk(rest + b"\n", line)


class _DocumentReader:
    """Top-level values of a JSON document stream (`[v, v, ...]` or `v v ...`), each as one-line text, or as an
    OversizedLine when it is nested deeper than the limit (then it is not parsed: found by ElementScanner).

    Every byte is looked at a bounded number of times: an array or object that does not end in the text read
    so far is scanned on from where its scan stopped (linear), not parsed again from its start."""

    def __init__(self, stream: pa.NativeFile, name: str, limits: ConversionLimits = DEFAULT_LIMITS) -> None:
        self.stream = stream
        self.name = name
        self.limits = limits
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
        self.buffer = self.buffer[self.pos :] + text
        self.pos = 0
        self.eof = not data
        return True

    def _peek(self) -> str:
        """The next non-whitespace character ('' at the end of input), not consumed."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]  # \s* always matches
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def _error(self, what: str) -> ConversionError:
        where = self.offset + self.pos
        return ConversionError(f"{self.name}: invalid JSON document: {what} at character {where}")

    def _too_long(self) -> LimitExceeded:
        limit = self.limits.max_record_bytes
        return LimitExceeded(
            self.name,
            f"a JSON document element at character {self.offset + self.pos} is longer than {limit} bytes",
            "max_record_bytes",
            limit,
        )

    def _container_end(self) -> tuple[int, int]:
        """(end, deepest nesting) of the array or object at self.pos, reading on as needed."""
        scanner = ElementScanner()
        scanned = self.pos  # what was scanned so far ends here
        while True:
            found = scanner.feed(self.buffer[scanned:])
            if found is not None:
                return scanned + found, scanner.deepest
            if len(self.buffer) - self.pos > self.limits.max_record_bytes:
                raise self._too_long()
            before = self.pos
            scanned = len(self.buffer)
            if not self._fill():
                raise self._error("unexpected end of input")
            scanned -= before  # the buffer now starts at the old self.pos

    def value(self) -> str | OversizedLine:
        first = self._peek()
        if not first:
            raise self._error("unexpected end of input")
        scanned = False
        while True:
            try:
                _, end = self.json.raw_decode(self.buffer, self.pos)
            except (json.JSONDecodeError, RecursionError) as exc:
                message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                if first in "[{" and not scanned:
                    # Not complete in what was read (or too deep for the json module): find its end once,
                    # scanning each byte once, instead of parsing it again from its start after every read.
                    scanned = True
                    end, deepest = self._container_end()
                    if deepest > self.limits.max_nesting_depth:
                        return self._too_deep(end, deepest)
                    continue
                if len(self.buffer) - self.pos > self.limits.max_record_bytes:
                    raise self._too_long() from exc
                if not self._fill():
                    raise self._error(message) from exc
                continue
            if end == len(self.buffer) and not self.eof:  # a number may continue in the next read
                self._fill()
                continue
            text = self.buffer[self.pos : end]
            self.pos = end
            # JSON strings cannot hold raw line breaks, so this keeps the value intact on one line.
            return text.replace("\n", " ").replace("\r", " ")

    def _too_deep(self, end: int, deepest: int) -> OversizedLine:
        """The element up to `end`, nested `deepest` levels, skipped unparsed and reported as rejected."""
        text = self.buffer[self.pos : end]
        self.pos = end
        limit = self.limits.max_nesting_depth
        reason = limit_reason(
            f"nested deeper than {limit} levels ({deepest} levels): not read", "max_nesting_depth", limit
        )
        head = text[:OVERSIZED_HEAD_BYTES].encode("utf-8", "surrogateescape")[:OVERSIZED_HEAD_BYTES]
        return OversizedLine(len(text), head, reason)

    def values(self) -> Iterator[str | OversizedLine]:
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


def document_chunks(
    stream: pa.NativeFile, chunk_bytes: int, name: str, limits: ConversionLimits = DEFAULT_LIMITS
) -> Iterator[TextChunk]:
    """Elements of a JSON array (or the objects of a JSON document stream) in chunks of about `chunk_bytes`
    (characters, counted as bytes): a chunk is cut by size, not by element count, so big elements make small
    chunks. An element nested deeper than the limit comes alone, as `oversized`."""
    pending: list[str] = []
    size = 0
    for text in _DocumentReader(stream, name, limits).values():
        if isinstance(text, OversizedLine):
            if pending:
                yield TextChunk(_encode(pending), None)
                pending, size = [], 0
            yield TextChunk(b"", None, text)
            continue
        pending.append(text)
        size += len(text) + 1
        if size >= chunk_bytes:
            yield TextChunk(_encode(pending), None)
            pending, size = [], 0
    if pending:
        yield TextChunk(_encode(pending), None)
