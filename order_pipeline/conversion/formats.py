"""Input format detection by content (magic bytes and a sniff of the head), never by extension alone."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import orjson

from order_pipeline.conversion.errors import UnsupportedFile

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 64 * 1024
FORMATS = ("jsonl", "json_array", "json_object", "parquet")


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


def _sniff_object_start(text: bytes) -> str:
    """`{...}` on the first line is JSON Lines; a first line that is an incomplete object continued on
    indented lines is one (pretty-printed) JSON document."""
    newline = text.find(b"\n")
    if newline < 0:
        return "jsonl"  # one line (or longer than the head): read as JSON Lines
    first = text[:newline].strip()
    try:
        orjson.loads(first)
        return "jsonl"
    except orjson.JSONDecodeError:
        pass
    following = text[newline + 1:].lstrip(b"\r\n")
    if first == b"{" or following[:1] in (b" ", b"\t", b'"', b"}"):
        return "json_object"
    return "jsonl"  # a broken first line: JSON Lines with a bad record


def sniff(head: bytes, name: str) -> InputFormat:
    """The format of a file from its first bytes (at least a few KiB for a reliable answer)."""
    gzip = head[:2] == GZIP_MAGIC
    if gzip:
        head = _gunzip_head(head, name)
    if head[:4] == PARQUET_MAGIC:
        if gzip:
            raise UnsupportedFile(f"{name}: gzip-compressed Parquet is not supported")
        return InputFormat("parquet", False)
    text = head[len(UTF8_BOM):] if head.startswith(UTF8_BOM) else head
    text = text.lstrip(b" \t\r\n")
    if not text:
        raise UnsupportedFile(f"{name}: the file is empty (no records)")
    if text[:1] == b"[":
        return InputFormat("json_array", gzip)
    if text[:1] == b"{":
        return InputFormat(_sniff_object_start(text), gzip)
    preview = text[:40].decode("utf-8", "replace")
    raise UnsupportedFile(f"{name}: not JSON, JSON Lines or Parquet (starts with {preview!r})")


def detect_format(head: bytes, name: str) -> str:
    """"jsonl", "json_array", "json_object" or "parquet" (inside gzip when `head` is gzip data)."""
    return sniff(head, name).kind
