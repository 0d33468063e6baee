"""Input format detection by content (magic bytes and a sniff of the head). CSV and TSV, which have no signature,
are told by the name's suffix (`.csv`, `.tsv`, each optionally `.gz`)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import orjson

from order_pipeline.conversion.errors import UnsupportedFile

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 64 * 1024
FORMATS = ("jsonl", "json_array", "json_object", "parquet", "csv", "tsv")
DELIMITED_SUFFIXES = {".csv": "csv", ".tsv": "tsv"}


@dataclass(frozen=True)
class InputFormat:
    kind: str  # one of FORMATS
    gzip: bool

    @property
    def label(self) -> str:
        return f"{self.kind}+gzip" if self.gzip else self.kind


def _gunzip_head(head: bytes, name: str) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
    except zlib.error as exc:
        raise UnsupportedFile(f"{name}: corrupt gzip data ({exc})") from exc


def _lines(text: bytes) -> list[bytes]:
    """The complete, non-blank lines of a head (any line end), stripped; the last, maybe cut, line is left out."""
    lines = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")[:-1]
    return [line.strip() for line in lines if line.strip()]


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _sniff_object_start(text: bytes) -> str:
    """`{...}` on the first line is JSON Lines; a first line that is an incomplete object continued on
    indented lines is one (pretty-printed) JSON document."""
    newline = re.search(rb"[\r\n]", text)
    if newline is None:
        return "jsonl"  # one line (or longer than the head): read as JSON Lines
    first = text[: newline.start()].strip()
    if _parses(first):
        return "jsonl"
    following = text[newline.start() + 1 :].lstrip(b" \t\r\n")  # the next non-blank line
    if first == b"{" or following[:1] in (b'"', b"}"):
        return "json_object"
    return "jsonl"  # a broken first line: JSON Lines with a bad record


def _sniff_array_start(text: bytes) -> str:
    """`[` starts a JSON array document, unless its first line is a whole value followed by more lines: then
    it is JSON Lines whose first record is (wrongly) an array."""
    lines = _lines(text)
    if len(lines) >= 2 and _parses(lines[0]) and lines[1][:1] in (b"{", b"["):
        return "jsonl"
    return "json_array"


def _json_lines_follow(text: bytes) -> bool:
    """Whether a head that does not start like JSON still holds JSON Lines records after its first line (a
    garbage first record must not condemn the records after it)."""
    return any(line[:1] == b"{" and _parses(line) for line in _lines(text)[1:])


def delimited_kind(name: str) -> str | None:
    """ "csv" or "tsv" when the name ends with `.csv` or `.tsv` (before an optional `.gz`), else None."""
    lowered = name.lower().removesuffix(".gz")
    for suffix, kind in DELIMITED_SUFFIXES.items():
        if lowered.endswith(suffix):
            return kind
    return None


def sniff(head: bytes, name: str) -> InputFormat:
    """The format of a file from its first bytes (at least a few KiB for a reliable answer) and, for CSV and
    TSV, its name."""
    gzip = head[:2] == GZIP_MAGIC
    if gzip:
        head = _gunzip_head(head, name)
    if head[:4] == PARQUET_MAGIC:
        if gzip:
            raise UnsupportedFile(f"{name}: gzip-compressed Parquet is not supported")
        return InputFormat("parquet", False)
    delimited = delimited_kind(name)
    if delimited is not None:
        return InputFormat(delimited, gzip)
    text = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    text = text.lstrip(b" \t\r\n")
    if not text:
        raise UnsupportedFile(f"{name}: the file is empty (no records)")
    if text[:1] == b"[":
        return InputFormat(_sniff_array_start(text), gzip)
    if text[:1] == b"{":
        return InputFormat(_sniff_object_start(text), gzip)
    if _json_lines_follow(text):
        return InputFormat("jsonl", gzip)
    preview = text[:40].decode("utf-8", "replace")
    raise UnsupportedFile(
        f"{name}: not JSON, JSON Lines or Parquet (starts with {preview!r}); CSV and TSV files are read when "
        "their name ends with .csv or .tsv"
    )


def detect_format(head: bytes, name: str) -> str:
    """ "jsonl", "json_array", "json_object", "parquet", "csv" or "tsv" (inside gzip when `head` is gzip data)."""
    return sniff(head, name).kind
