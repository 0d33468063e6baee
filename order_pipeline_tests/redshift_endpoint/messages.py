"""PostgreSQL v3 wire-protocol framing: read, build and pick apart the few messages the adapter touches."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import BinaryIO

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def read_exact(stream: BinaryIO, size: int) -> bytes:
    """Read exactly `size` bytes from a buffered socket file; raise ConnectionError when the peer closes."""
    data = stream.read(size)
    if data is None or len(data) < size:
        raise ConnectionError("peer closed the connection")
    return data


def read_untyped(stream: BinaryIO) -> bytes:
    """Read a startup-phase message (no type byte); returns the body after the length."""
    (length,) = struct.unpack("!i", read_exact(stream, 4))
    return read_exact(stream, length - 4)


def read_typed(stream: BinaryIO) -> tuple[bytes, bytes]:
    """Read one regular message; returns (type byte, body)."""
    header = read_exact(stream, 5)
    (length,) = struct.unpack("!i", header[1:])
    return header[:1], read_exact(stream, length - 4)


def typed(code: bytes, body: bytes) -> bytes:
    return code + struct.pack("!i", len(body) + 4) + body


def cstring(value: str | bytes) -> bytes:
    return (value.encode() if isinstance(value, str) else value) + b"\0"


def read_cstring(body: bytes, offset: int) -> tuple[bytes, int]:
    end = body.index(b"\0", offset)
    return body[offset:end], end + 1


def parse_startup(body: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    """A StartupMessage body: (protocol version, [(name, value), ...])."""
    (protocol,) = struct.unpack("!i", body[:4])
    pairs: list[tuple[bytes, bytes]] = []
    offset = 4
    while offset < len(body) and body[offset] != 0:
        name, offset = read_cstring(body, offset)
        value, offset = read_cstring(body, offset)
        pairs.append((name, value))
    return protocol, pairs


def build_startup(protocol: int, pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    body = struct.pack("!i", protocol) + b"".join(cstring(k) + cstring(v) for k, v in pairs) + b"\0"
    return struct.pack("!i", len(body) + 4) + body


def parse_fields(body: bytes) -> list[tuple[str, str]]:
    """ErrorResponse / NoticeResponse body: [(field code, value), ...] in wire order."""
    fields: list[tuple[str, str]] = []
    offset = 0
    while offset < len(body) and body[offset] != 0:
        code = chr(body[offset])
        value, offset = read_cstring(body, offset + 1)
        fields.append((code, value.decode("utf-8", "replace")))
    return fields


def build_fields(fields: Iterable[tuple[str, str]]) -> bytes:
    return b"".join(code.encode() + cstring(value) for code, value in fields) + b"\0"


def parse_parse(body: bytes) -> tuple[bytes, str, bytes]:
    """Parse ('P'): (statement name, query text, raw parameter-type section)."""
    name, offset = read_cstring(body, 0)
    query, offset = read_cstring(body, offset)
    return name, query.decode("utf-8"), body[offset:]


def build_parse(name: bytes, query: str, param_types: bytes = b"\0\0") -> bytes:
    return typed(b"P", cstring(name) + cstring(query) + param_types)


def parse_bind_names(body: bytes) -> tuple[bytes, bytes]:
    """Bind ('B'): (portal name, statement name)."""
    portal, offset = read_cstring(body, 0)
    statement, _ = read_cstring(body, offset)
    return portal, statement


def build_bind(portal: bytes, statement: bytes, text_params: list[str | None]) -> bytes:
    """A Bind with every parameter in text format and every result column in text format."""
    body = bytearray(cstring(portal) + cstring(statement))
    body += struct.pack("!hh", 1, 0)  # one format code: text, for all parameters
    body += struct.pack("!h", len(text_params))
    for value in text_params:
        if value is None:
            body += struct.pack("!i", -1)
        else:
            encoded = value.encode("utf-8")
            body += struct.pack("!i", len(encoded)) + encoded
    body += struct.pack("!h", 0)  # result columns: default (text)
    return typed(b"B", bytes(body))


def parse_data_row(body: bytes) -> list[str | None]:
    """DataRow ('D') in text format: the column values."""
    (count,) = struct.unpack("!h", body[:2])
    values: list[str | None] = []
    offset = 2
    for _ in range(count):
        (size,) = struct.unpack("!i", body[offset : offset + 4])
        offset += 4
        if size < 0:
            values.append(None)
            continue
        values.append(body[offset : offset + size].decode("utf-8"))
        offset += size
    return values


def query(sql: str) -> bytes:
    """A simple-protocol Query ('Q')."""
    return typed(b"Q", cstring(sql))
