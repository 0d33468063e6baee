"""The JSON Lines chunker: line ends of every kind, cut anywhere, and lines too long to hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from order_pipeline.conversion import detect_format
from order_pipeline.conversion.accounting import AccountingError, RecordCounts, check_batch, check_file
from order_pipeline.conversion.read.batch import ParsedBatch, Reject
from order_pipeline.conversion.read.text_sources import OVERSIZED_HEAD_BYTES, TextChunk, jsonl_chunks


def _chunks(tmp_path: Path, data: bytes, chunk_bytes: int, max_line_bytes: int = 1 << 20) -> list[TextChunk]:
    path = tmp_path / "a.jsonl"
    path.write_bytes(data)
    with pa.OSFile(str(path), "rb") as stream:
        return list(jsonl_chunks(stream, chunk_bytes, "a.jsonl", max_line_bytes))


def _lines(chunks: list[TextChunk]) -> list[tuple[int, bytes]]:
    """(line number, text) of every line the chunks hold, oversized ones as b"<oversized N>"."""
    found = []
    for chunk in chunks:
        if chunk.oversized is not None:
            found.append((chunk.first_line, b"<oversized %d>" % chunk.oversized.size))
            continue
        assert chunk.data.endswith(b"\n") and b"\r" not in chunk.data
        for offset, text in enumerate(chunk.data.split(b"\n")[:-1]):
            found.append((chunk.first_line + offset, text))
    return found


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 7, 64])
def test_every_line_end_cut_anywhere_gives_the_same_lines(tmp_path: Path, ending: bytes, chunk_bytes: int) -> None:
    texts = [b'{"a":1}', b"", b"  ", b'{"b":"x"}', b"", b"broken"]
    data = b"\xef\xbb\xbf" + ending.join(texts) + ending
    lines = _lines(_chunks(tmp_path, data, chunk_bytes))
    assert lines == list(enumerate(texts, start=1))


def test_mixed_line_ends_and_a_missing_last_one(tmp_path: Path) -> None:
    data = b"a\r\nb\rc\n\r\rd\r\n\ne"
    for chunk_bytes in range(1, len(data) + 2):
        lines = _lines(_chunks(tmp_path, data, chunk_bytes))
        assert lines == list(enumerate([b"a", b"b", b"c", b"", b"", b"d", b"", b"e"], start=1)), chunk_bytes


@pytest.mark.parametrize("chunk_bytes", [16, 100, 4096])
def test_a_line_over_the_limit_is_skipped_with_its_size_and_head(tmp_path: Path, chunk_bytes: int) -> None:
    long = b"{" + b"x" * 5000 + b"}"
    data = b"first\r\n" + long + b"\r\nafter\n" + long + b"\n" + b"z" * 3000
    lines = _lines(_chunks(tmp_path, data, chunk_bytes, max_line_bytes=2000))
    assert lines == [
        (1, b"first"),
        (2, b"<oversized 5002>"),
        (3, b"after"),
        (4, b"<oversized 5002>"),
        (5, b"<oversized 3000>"),
    ]
    heads = [c.oversized.head for c in _chunks(tmp_path, data, chunk_bytes, 2000) if c.oversized]
    assert heads[0] == long[:OVERSIZED_HEAD_BYTES] and heads[2] == b"z" * OVERSIZED_HEAD_BYTES


def test_a_line_at_the_limit_is_kept(tmp_path: Path) -> None:
    data = b"a" * 2000 + b"\n" + b"b" * 2001 + b"\n"
    assert _lines(_chunks(tmp_path, data, 64, max_line_bytes=2000)) == [(1, b"a" * 2000), (2, b"<oversized 2001>")]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'--- batch 1 ---\n{"a": 1}\n{"a": 2}\n', "jsonl"),  # a garbage first record
        (b'["not", "an", "object"]\n{"a": 1}\n', "jsonl"),  # an array as the first record
        (b'{"a": 1}\r{"a": 2}\r', "jsonl"),  # CR-only line ends
        (b'{"a": \r\n\r\n{"a": 2}\r\n', "jsonl"),  # a broken first record, then a blank line
        (b'{"a": 1,\r\n  "b": 2\r\n}\r\n', "json_object"),
        (b'[{"a": 1},\n {"a": 2}]\n', "json_array"),
        (b'[{"a": 1}, {"a": 2}]', "json_array"),
    ],
)
def test_format_sniffing_is_not_fooled_by_a_bad_first_record(head: bytes, expected: str) -> None:
    assert detect_format(head, "x") == expected


def _batch(ordinals: list[int], rejects: list[int], records: int) -> ParsedBatch:
    table = pa.table({"a": list(range(len(ordinals)))})
    return ParsedBatch(
        table,
        np.array(ordinals, dtype=np.int64),
        records,
        lambda row: (None, None),
        [Reject(r, None, [(None, "bad")], None) for r in rejects],
    )


def test_a_batch_must_account_for_each_record_once() -> None:
    check_batch(_batch([11, 13], [12], 3), 11, "f")
    for ordinals, rejects, records in (
        ([11, 12], [12], 3),
        ([11, 13], [12], 4),
        ([11, 12, 13], [], 2),
        ([12, 13], [14], 3),
    ):
        with pytest.raises(AccountingError, match="f: records 11"):
            check_batch(_batch(ordinals, rejects, records), 11, "f")


def test_a_file_must_balance() -> None:
    check_file(RecordCounts(5, 4, 1), "f")
    with pytest.raises(AccountingError, match=r"f: records read \(651\) ≠ rows written \(9001\) \+ rejected \(1\)"):
        check_file(RecordCounts(651, 9001, 1), "f")
