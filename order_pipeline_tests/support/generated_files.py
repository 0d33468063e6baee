"""Seeded random JSON Lines files of orders for property tests of the chunked reader, with what each must give.

Each file mixes good orders (some of them several versions of one order: ties on `updated_at`, later and
stale versions), bad records of many kinds anywhere, blank lines, and records whose line length is around
the chunk size the file is meant to be read with (padded with an undeclared field, which is dropped). Line
ends are `\\n`, `\\r\\n`, a lone `\\r`, or a mix; some files start with a BOM, lack the last line end, or
are gzipped. The expectations are written down while the file is built, independently of the converter.
"""

from __future__ import annotations

import copy
import gzip
import random
from dataclasses import dataclass
from datetime import date, timedelta

import orjson

from order_pipeline.conversion.engine import MAX_CHUNK_BYTES
from order_pipeline.datasets.orders import ORDER_STATUSES
from order_pipeline.datasets.orders_generator import generate_orders, parse_ts

START = date(2026, 11, 20)
BAD_KINDS = (
    "truncated",
    "bad_status",
    "duplicate_key",
    "blank_customer",
    "huge_exponent",
    "deep",
    "invalid_utf8",
    "lone_surrogate",
    "nul",
    "two_objects",
    "not_an_object",
    "emoji_over_bytes",
    "plain_text",
)
ENDINGS = {"lf": (b"\n",), "crlf": (b"\r\n",), "cr": (b"\r",), "mixed": (b"\n", b"\r\n", b"\r")}


@dataclass(frozen=True)
class ExpectedRecord:
    record: int  # 1-based ordinal among the file's records (non-blank lines)
    line: int  # 1-based line number
    kind: str  # "good" or one of BAD_KINDS
    order: dict | None = None  # a good record's order

    @property
    def good(self) -> bool:
        return self.kind == "good"


@dataclass(frozen=True)
class GeneratedFile:
    name: str
    content: bytes  # as landed (gzip when the name ends with .gz)
    chunk_bytes: int  # the read chunk size its record sizes were chosen around
    records: tuple[ExpectedRecord, ...]

    @property
    def good(self) -> list[ExpectedRecord]:
        return [r for r in self.records if r.good]

    @property
    def bad(self) -> list[ExpectedRecord]:
        return [r for r in self.records if not r.good]

    def latest(self) -> dict[str, ExpectedRecord]:
        """Per order id, the version the warehouse must hold: latest updated_at, then the later record."""
        latest: dict[str, ExpectedRecord] = {}
        for record in self.good:
            order = record.order or {}
            current = latest.get(order["order_id"])
            if current is None or parse_ts(order["updated_at"]) >= parse_ts((current.order or {})["updated_at"]):
                latest[order["order_id"]] = record
        return latest


def _shifted(text: str, minutes: int) -> str:
    return (parse_ts(text) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _padded(order: dict, target: int) -> bytes:
    """The order as one JSON line of about `target` bytes (an undeclared `note` field takes up the slack)."""
    line = orjson.dumps(order)
    slack = target - len(line) - len(b',"note":""')
    if slack <= 0:
        return line
    return orjson.dumps({**order, "note": "n" * slack})


def _bad_line(kind: str, order: dict, target: int, rng: random.Random) -> bytes:
    order = copy.deepcopy(order)
    if kind == "truncated":
        line = _padded(order, target)
        return line[: max(2, len(line) // 2)]
    if kind == "plain_text":
        return b"-- " + b"x" * max(0, target - 3)
    if kind == "two_objects":
        return orjson.dumps(order) + b" " + orjson.dumps(order)
    if kind == "not_an_object":
        return orjson.dumps([order["order_id"], 1, 2])
    if kind == "bad_status":
        order["status"] = "teleported"
    elif kind == "blank_customer":
        order["customer_id"] = rng.choice(["", "   ", "\t", "\u3000"])
    elif kind == "nul":
        order["customer_id"] = "CUST\u0000X"
    elif kind == "emoji_over_bytes":
        order["customer_id"] = "\U0001f600" * 17  # 17 characters, 68 bytes: over VARCHAR(64)
    line = _padded(order, target)
    if kind == "duplicate_key":
        return line[:-1] + b',"order_id":' + orjson.dumps(order["order_id"]) + b"}"
    if kind == "huge_exponent":
        return line.replace(b'"tax":', b'"tax":1e400,"_was_tax":', 1)
    if kind == "deep":
        depth = rng.choice([100, 2000])
        return line.replace(b'"status":', b'"status":' + b"[" * depth + b"]" * depth + b',"_was_status":', 1)
    if kind == "invalid_utf8":
        return line.replace(b'"customer_id":"', b'"customer_id":"\xff\xfe', 1)
    if kind == "lone_surrogate":
        return line.replace(b'"customer_id":"', b'"customer_id":"\\ud800', 1)
    return line


def _target(rng: random.Random, chunk: int) -> int:
    """A line length: around the chunk size most of the time, else small, half or a few chunks."""
    choice = rng.random()
    if choice < 0.5:
        return chunk + rng.randint(-4, 4)
    if choice < 0.7:
        return rng.randint(0, 400)
    if choice < 0.85:
        return chunk // 2 + rng.randint(-2, 2)
    return chunk * rng.randint(2, 3) + rng.randint(-2, 2)


def generated_file(
    seed: int, *, prefix: str = "GEN", chunk_bytes: int | None = None, records: int | None = None
) -> GeneratedFile:
    rng = random.Random(seed)
    chunk = chunk_bytes or rng.choice([600, 700, 1024, 1500, 2048])
    count = records or rng.randint(3, 40)
    fresh = iter(generate_orders(count, seed=seed, start_date=START, id_prefix=f"{prefix}{seed}"))
    endings = ENDINGS[rng.choice(list(ENDINGS))]
    bad_budget = int(count * 0.4)
    parts: list[bytes] = [b"\xef\xbb\xbf"] if rng.random() < 0.15 else []
    expected: list[ExpectedRecord] = []
    good_so_far: list[dict] = []
    line = 0
    previous_ending = b"\n"
    while len(expected) < count:
        line += 1
        if rng.random() < 0.08:  # a blank line
            text = rng.choice([b"", b"  ", b"\t "])
            ending = rng.choice(endings)
            if previous_ending == b"\r" and not text and ending == b"\n":
                ending = b"\r"  # "\r" + "\n" would be one line end, not a blank line
            parts.append(text + ending)
            previous_ending = ending
            continue
        target = _target(rng, chunk)
        if bad_budget and rng.random() < 0.3:
            bad_budget -= 1
            kind = rng.choice(BAD_KINDS)
            text = _bad_line(kind, next(fresh), target, rng)
            expected.append(ExpectedRecord(len(expected) + 1, line, kind))
        else:
            if good_so_far and rng.random() < 0.25:  # another version of an order seen earlier in the file
                order = copy.deepcopy(rng.choice(good_so_far))
                order["status"] = rng.choice(ORDER_STATUSES)
                order["updated_at"] = _shifted(order["updated_at"], rng.choice([0, 0, 5, -5]))
            else:
                order = next(fresh)
            good_so_far.append(order)
            text = _padded(order, target)
            expected.append(ExpectedRecord(len(expected) + 1, line, "good", order))
        ending = rng.choice(endings)
        last = len(expected) == count
        parts.append(text + (b"" if last and rng.random() < 0.3 else ending))
        previous_ending = ending
    content = b"".join(parts)
    name = f"generated-{seed}.jsonl"
    if rng.random() < 0.15:
        content, name = gzip.compress(content, mtime=0), name + ".gz"
    return GeneratedFile(name, content, chunk, tuple(expected))


def cut_file(count: int = 9_000) -> tuple[bytes, int, dict, dict]:
    """The reported case: `count` orders, a duplicate-key copy of order 101 in the first 4 MiB (record 101),
    and a second version of one order (same updated_at, so the later record wins) on the far side of the
    default 4 MiB chunk cut from its first. Returns (content, record of the first version, first, second)."""
    orders = list(generate_orders(count, seed=13, start_date=START, id_prefix="CUT"))
    lines = [orjson.dumps(order) for order in orders]
    lines.insert(100, lines[100][:-1] + b',"order_id":' + orjson.dumps(orders[100]["order_id"]) + b"}")
    offset, last_in_chunk = 0, -1
    while offset + len(lines[last_in_chunk + 1]) + 1 <= MAX_CHUNK_BYTES:
        offset += len(lines[last_in_chunk + 1]) + 1
        last_in_chunk += 1
    first = orjson.loads(lines[last_in_chunk])
    second = {
        **first,
        "status": "cancelled" if first["status"] != "cancelled" else "refunded",
        "note": "n" * 2000,
    }  # long enough to straddle the 4 MiB cut
    lines.insert(last_in_chunk + 1, orjson.dumps(second))
    assert offset <= MAX_CHUNK_BYTES < offset + len(lines[last_in_chunk + 1]) + 1
    return b"\n".join(lines) + b"\n", last_in_chunk + 1, first, second
