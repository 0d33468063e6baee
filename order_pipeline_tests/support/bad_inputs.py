"""A corpus of bad (and tricky-but-good) orders landing files, with what converting each must produce.

More kinds (poisoned records, string rules, hidden names) are in bad_inputs_poison; build_corpus has them all.

Most files mix a few good records (from `generate_orders`, a distinct id prefix per file, so ids never
collide across files) with bad ones, so "the good records still land" is tested next to "the bad ones are
rejected". Every bad record has exactly one problem (amounts are recomputed after a mutation), so the reject
reason is unambiguous. Files are small. `reason_contains` is lowercase and is matched against the reject's
`field` and `reason` (record rejects) or the file error (whole-file rejects).
"""

from __future__ import annotations

import gzip
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.datasets.orders_generator import generate_orders, parse_ts

START = date(2026, 11, 20)


@dataclass(frozen=True)
class BadInput:
    kind: str  # short slug, e.g. "truncated_gzip"
    filename: str  # e.g. "truncated.jsonl.gz"; a few have spaces, quotes or non-ASCII
    content: bytes
    whole_file_rejected: bool  # True: the file is unreadable / over the bad-record threshold
    bad_records: int  # records expected in rejects (0 when whole_file_rejected)
    good_records: int  # records expected to load from this file (0 when whole_file_rejected)
    reason_contains: str  # lowercase substring of the reject field + reason, or of the file error
    hidden_name: bool = False  # the outcome comes from the file name (the lake step), not the content
    ignored: bool = False  # a marker with nothing to load: recorded, ledgered, not quarantined


Good = Callable[[int], list[dict]]  # n -> n good orders, ids unique to the file


def _jsonl(*records: dict | bytes) -> bytes:
    """JSON Lines; a bytes part is written as a raw line (newline added)."""
    return b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in records)


def _cents(value: float) -> int:
    return int(Decimal(repr(value)) * 100)


def _recompute(order: dict) -> dict:
    """subtotal = Σ quantity × unit_price and total = subtotal + shipping + tax again, after a mutation."""
    subtotal = sum(item["quantity"] * _cents(item["unit_price"]) for item in order["items"])
    order["subtotal"] = subtotal / 100
    order["total"] = (subtotal + _cents(order["shipping"]) + _cents(order["tax"])) / 100
    return order


def _mixed(
    good: Good, kind: str, bad: list[dict | bytes], reason: str, *, filename: str | None = None, good_count: int = 4
) -> BadInput:
    """`good_count` good records with the bad ones spread among them (first bad one after record 2)."""
    records: list[dict | bytes] = list(good(good_count))
    for offset, record in enumerate(bad):
        records.insert(min(2 + 2 * offset, len(records)), record)
    return BadInput(kind, filename or f"{kind}.jsonl", _jsonl(*records), False, len(bad), good_count, reason)


def _rejected(kind: str, filename: str, content: bytes, reason: str) -> BadInput:
    return BadInput(kind, filename, content, True, 0, 0, reason)


def _one(good: Good, change: Callable[[dict], object]) -> dict:
    """A fresh good order, changed in place by `change`."""
    order = good(1)[0]
    change(order)
    return order


def _parquet(orders: list[dict]) -> bytes:
    """Orders as Parquet, typed like a well-behaved upstream: nested structs, decimals, UTC timestamps."""
    money = pa.decimal128(12, 2)
    timestamp = pa.timestamp("us", tz="UTC")
    address = pa.struct([(p, pa.string()) for p in ("name", "street", "city", "postal_code", "country")])
    item = pa.struct([("sku", pa.string()), ("quantity", pa.int32()), ("unit_price", money)])
    schema = pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("order_ts", timestamp),
            ("status", pa.string()),
            ("currency", pa.string()),
            ("payment_method", pa.string()),
            ("shipping_address", address),
            ("items", pa.list_(item)),
            ("subtotal", money),
            ("shipping", money),
            ("tax", money),
            ("total", money),
            ("updated_at", timestamp),
        ]
    )

    def typed(order: dict) -> dict:
        row = dict(order, order_ts=parse_ts(order["order_ts"]), updated_at=parse_ts(order["updated_at"]))
        for name in ("subtotal", "shipping", "tax", "total"):
            row[name] = Decimal(repr(order[name]))
        row["items"] = [dict(i, unit_price=Decimal(repr(i["unit_price"]))) for i in order["items"]]
        return row

    return _parquet_bytes(pa.Table.from_pylist([typed(o) for o in orders], schema=schema))


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


# --- whole files that cannot be read -------------------------------------------------------------------


def _not_json(good: Good, rng: random.Random) -> BadInput:
    lines = [b"order_id,customer_id,total"] + [f"ORD-{n},CUST-{n},{rng.randrange(999)}.00".encode() for n in range(5)]
    return _rejected("not_json", "export from erp.jsonl", b"\n".join(lines) + b"\n", "not json")


def _stray_readme(good: Good, rng: random.Random) -> BadInput:
    text = "# Orders drop\n\nFiles in this folder are picked up hourly. Contact data-eng@example.com.\n"
    return _rejected("stray_readme", "README.md", text.encode(), "not json")


def _empty_file(good: Good, rng: random.Random) -> BadInput:
    return _rejected("empty_file", "empty.jsonl", b"", "empty")


def _blank_lines(good: Good, rng: random.Random) -> BadInput:
    return _rejected("blank_lines", "blank-lines.jsonl", b"\n   \n\r\n\t\n\n", "empty")


def _truncated_gzip(good: Good, rng: random.Random) -> BadInput:
    packed = gzip.compress(_jsonl(*good(6)), mtime=0)
    return _rejected("truncated_gzip", "truncated.jsonl.gz", packed[: len(packed) // 2], "truncated")


def _corrupt_gzip(good: Good, rng: random.Random) -> BadInput:
    return _rejected("corrupt_gzip", "corrupt.jsonl.gz", b"\x1f\x8b" + rng.randbytes(600), "gzip")


def _gzip_of_garbage(good: Good, rng: random.Random) -> BadInput:
    garbage = b"\x89PNG\r\n\x1a\n" + rng.randbytes(600)
    return _rejected("gzip_of_garbage", "image.jsonl.gz", gzip.compress(garbage, mtime=0), "not json")


def _json_array_unclosed(good: Good, rng: random.Random) -> BadInput:
    content = b"[" + b",\n".join(orjson.dumps(o) for o in good(3)) + b"\n"
    return _rejected("json_array_unclosed", "unclosed-array.json", content, "unterminated")


def _parquet_other_shape(good: Good, rng: random.Random) -> BadInput:
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    return _rejected("parquet_other_shape", "other-shape.parquet", _parquet_bytes(table), "order_id")


def _mostly_bad(good: Good, rng: random.Random) -> BadInput:
    bad: list[dict | bytes] = [
        _one(good, lambda o: o.update(status="teleported")),
        _one(good, lambda o: o.update(currency="usd")),
        b"not json at all",
        _one(good, lambda o: o.pop("order_id")),
    ]
    content = _jsonl(*good(2), *bad)  # 4 bad of 6: over the 50% threshold
    return _rejected("mostly_bad", "mostly bad.jsonl", content, "limit")


# --- files whose bad records are rejected while the good ones load ---------------------------------------


def _truncated_last_line(good: Good, rng: random.Random) -> BadInput:
    records = good(5)
    last = orjson.dumps(good(1)[0])
    content = _jsonl(*records) + last[: len(last) // 2]
    return BadInput("truncated_last_line", "truncated-last-line.jsonl", content, False, 1, 5, "json")


def _parquet_negative_price(good: Good, rng: random.Random) -> BadInput:
    orders = good(4)
    bad = good(1)[0]
    bad["items"].append({"sku": "SKU-9999", "quantity": 1, "unit_price": -1.0})
    orders.insert(2, _recompute(bad))
    return BadInput("parquet_negative_price", "negative-price.parquet", _parquet(orders), False, 1, 4, "unit_price")


def _json_array_bad_element(good: Good, rng: random.Random) -> BadInput:
    orders = good(4)

    def change(order: dict) -> None:  # subtotal >= 1.00, so the total stays >= 0
        order.update(shipping=-1.0, total=(_cents(order["subtotal"]) + _cents(order["tax"]) - 100) / 100)

    orders.insert(1, _one(good, change))
    content = b"[\n" + b",\n".join(orjson.dumps(o) for o in orders) + b"\n]\n"
    return BadInput("json_array_bad_element", "array-with-bad-element.json", content, False, 1, 4, "shipping")


def _missing_order_id(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "missing_order_id", [_one(good, lambda o: o.pop("order_id"))], "order_id")


def _null_customer_id(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "null_customer_id", [_one(good, lambda o: o.update(customer_id=None))], "customer_id")


def _set_item(**changes: object) -> Callable[[dict], object]:
    def change(order: dict) -> dict:
        order["items"][0].update(changes)
        return _recompute(order)

    return change


def _negative_quantity(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, _set_item(quantity=-2, unit_price=0.0))
    return _mixed(good, "negative_quantity", [bad], "quantity")


def _zero_quantity(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "zero_quantity", [_one(good, _set_item(quantity=0))], "quantity")


def _quantity_too_large(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, _set_item(quantity=10_001, unit_price=0.01))
    return _mixed(good, "quantity_too_large", [bad], "quantity")


def _quantity_not_a_number(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o["items"][0].update(quantity="two"))
    return _mixed(good, "quantity_not_a_number", [bad], "quantity")


def _add_item(price: float, subtotal_delta: int) -> Callable[[dict], object]:
    def change(order: dict) -> None:
        order["items"].append({"sku": "SKU-9998", "quantity": 1, "unit_price": price})
        order["subtotal"] = (_cents(order["subtotal"]) + subtotal_delta) / 100
        order["total"] = (_cents(order["total"]) + subtotal_delta) / 100

    return change


def _negative_unit_price(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "negative_unit_price", [_one(good, _add_item(-1.0, -100))], "unit_price")


def _price_three_decimals(good: Good, rng: random.Random) -> BadInput:
    # 1.005 is within a cent of the 1.01 added to the subtotal: only the scale is wrong
    return _mixed(good, "price_three_decimals", [_one(good, _add_item(1.005, 101))], "unit_price")


def _bad_currency(good: Good, rng: random.Random) -> BadInput:
    bad = [_one(good, lambda o: o.update(currency="usd")), _one(good, lambda o: o.update(currency="US"))]
    return _mixed(good, "bad_currency", bad, "currency", filename="currency 'usd' & \"US\".jsonl")


def _bad_ship_country(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o["shipping_address"].update(country="USA"))
    return _mixed(good, "bad_ship_country", [bad], "country")


def _unknown_status(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "unknown_status", [_one(good, lambda o: o.update(status="lost_in_space"))], "status")


def _naive_timestamp(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o.update(order_ts=o["order_ts"].rstrip("Z")))
    return _mixed(good, "naive_timestamp", [bad], "order_ts")


def _unparseable_timestamp(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o.update(updated_at="yesterday at noon"))
    return _mixed(good, "unparseable_timestamp", [bad], "updated_at")


def _totals_dont_add_up(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o.update(total=(_cents(o["total"]) + 500) / 100))
    return _mixed(good, "totals_dont_add_up", [bad], "total differs")


def _subtotal_mismatch(good: Good, rng: random.Random) -> BadInput:
    def change(order: dict) -> None:
        order["subtotal"] = (_cents(order["subtotal"]) + 100) / 100
        order["total"] = (_cents(order["total"]) + 100) / 100

    return _mixed(good, "subtotal_mismatch", [_one(good, change)], "subtotal differs")


def _empty_items(good: Good, rng: random.Random) -> BadInput:
    def change(order: dict) -> None:
        order.update(items=[], tax=0.0)
        _recompute(order)

    return _mixed(good, "empty_items", [_one(good, change)], "items")


def _too_many_items(good: Good, rng: random.Random) -> BadInput:
    def change(order: dict) -> None:
        order["items"] = [{"sku": f"SKU-{n:04d}", "quantity": 1, "unit_price": 1.0} for n in range(101)]
        _recompute(order)

    return _mixed(good, "too_many_items", [_one(good, change)], "items")


def _item_missing_sku(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "item_missing_sku", [_one(good, lambda o: o["items"][0].pop("sku"))], "sku")


def _record_is_list(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "record_is_list", [orjson.dumps([good(1)[0]])], "object")


def _plain_text_line(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "plain_text_line", [b"--- batch 2 follows ---"], "json")


def _invalid_utf8(good: Good, rng: random.Random) -> BadInput:
    line = orjson.dumps(good(1)[0]).replace(b'"name":"', b'"name":"\xff\xfe', 1)
    return _mixed(good, "invalid_utf8", [line], "utf")


def _long_order_id(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o.update(order_id="ORD-" + "9" * 80))
    return _mixed(good, "long_order_id", [bad], "order_id")


# --- tricky but good: nothing may be rejected ------------------------------------------------------------


def _non_ascii_names(good: Good, rng: random.Random) -> BadInput:
    orders = good(4)
    names = [
        ("Zoë Ångström-Łukasiewicz", "Kraków", "ul. Świętokrzyska 5"),
        ("李小龍", "東京", "中央区 1-2-3"),
        ("Дмитрий Шостакович", "Санкт-Петербург", "Невский пр. 28"),
        ("Renée O'Connor 🎉", "Zürich", "Straße 1"),
    ]
    for order, (name, city, street) in zip(orders, names, strict=True):
        order["shipping_address"].update(name=name, city=city, street=street)
    return BadInput("non_ascii_names", "bestellungen-müller-ß-東京.jsonl", _jsonl(*orders), False, 0, 4, "")


def _optional_fields_absent(good: Good, rng: random.Random) -> BadInput:
    orders = good(3)
    orders[0]["payment_method"] = None
    orders[1].pop("shipping_address")
    orders[2]["coupon_code"] = "BLACKFRIDAY"  # unknown fields are dropped, not rejected
    return BadInput("optional_fields_absent", "optional-fields.jsonl", _jsonl(*orders), False, 0, 3, "")


def _crlf_line_endings(good: Good, rng: random.Random) -> BadInput:
    content = b"".join(orjson.dumps(o) + b"\r\n" for o in good(3))
    return BadInput("crlf_line_endings", "windows-export.jsonl", content, False, 0, 3, "")


BUILDERS: tuple[Callable[[Good, random.Random], BadInput], ...] = (
    _not_json,
    _stray_readme,
    _empty_file,
    _blank_lines,
    _truncated_gzip,
    _corrupt_gzip,
    _gzip_of_garbage,
    _json_array_unclosed,
    _parquet_other_shape,
    _mostly_bad,
    _truncated_last_line,
    _parquet_negative_price,
    _json_array_bad_element,
    _missing_order_id,
    _null_customer_id,
    _negative_quantity,
    _zero_quantity,
    _quantity_too_large,
    _quantity_not_a_number,
    _negative_unit_price,
    _price_three_decimals,
    _bad_currency,
    _bad_ship_country,
    _unknown_status,
    _naive_timestamp,
    _unparseable_timestamp,
    _totals_dont_add_up,
    _subtotal_mismatch,
    _empty_items,
    _too_many_items,
    _item_missing_sku,
    _record_is_list,
    _plain_text_line,
    _invalid_utf8,
    _long_order_id,
    _non_ascii_names,
    _optional_fields_absent,
    _crlf_line_endings,
)


def _good_maker(seed: int, prefix: str) -> Good:
    """Good orders whose ids (`<prefix>-YYYYMMDD-<n>`) are unique across every call of this maker."""
    made = 0

    def good(n: int) -> list[dict]:
        nonlocal made
        orders = list(generate_orders(made + n, seed=seed, start_date=START, id_prefix=prefix))[made:]
        made += n
        return orders

    return good


def build_corpus(seed: int = 7) -> list[BadInput]:
    """Every kind of bad input once, deterministic for `seed`."""
    from order_pipeline_tests.support import bad_inputs_poison  # it builds on the helpers above

    corpus = []
    for index, builder in enumerate(BUILDERS + bad_inputs_poison.BUILDERS):
        rng = random.Random(seed * 1000 + index)
        corpus.append(builder(_good_maker(seed * 1000 + index, f"BAD{index:02d}"), rng))
    return corpus
