"""More kinds for the bad-input corpus: poisoned records (the traps of issue 13), text that is valid JSON but
not valid text, declared string rules, hidden file names, and more tricky-but-good files.

Same conventions as bad_inputs: a few good records around the bad ones, one problem per bad record.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from collections.abc import Callable

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline_tests.support.bad_inputs import (
    BadInput,
    Good,
    _jsonl,
    _mixed,
    _one,
    _parquet,
    _parquet_bytes,
    _recompute,
    _rejected,
)

EMOJI = "\U0001f600"  # one character, four bytes


def _with_raw(order: dict, field: str, text: bytes) -> bytes:
    """The order as a JSON line whose top-level `field` value is written as `text`, exactly."""
    line = orjson.dumps(order)
    start = line.index(b'"' + field.encode() + b'":') + len(field) + 3
    return line[:start] + text + line[start + len(orjson.dumps(order[field])) :]


def _in_name(order: dict, raw: bytes) -> bytes:
    """The order as a JSON line with `raw` bytes inside its shipping name."""
    return orjson.dumps(order).replace(b'"name":"', b'"name":"' + raw, 1)


# --- poisoned records --------------------------------------------------------------------------------------


def _huge_exponent(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "huge_exponent", [_with_raw(good(1)[0], "tax", b"1e400")], "tax")


def _overflowing_decimal(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "overflowing_decimal", [_with_raw(good(1)[0], "total", b"1" + b"0" * 60)], "total")


def _deep_nesting(good: Good, rng: random.Random) -> BadInput:
    deep = b"[" * 50_000 + b"]" * 50_000
    return _mixed(good, "deep_nesting", [_with_raw(good(1)[0], "status", deep)], "nested deeper")


def _duplicate_key(good: Good, rng: random.Random) -> BadInput:
    order = good(1)[0]
    line = orjson.dumps(order)[:-1] + b',"order_id":' + orjson.dumps(order["order_id"]) + b"}"
    return _mixed(good, "duplicate_key", [line], "specified twice")


def _two_records_on_one_line(good: Good, rng: random.Random) -> BadInput:
    pair = good(2)
    return _mixed(good, "two_records_on_one_line", [orjson.dumps(pair[0]) + b" " + orjson.dumps(pair[1])], "json")


def _trailing_comma(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "trailing_comma", [orjson.dumps(good(1)[0])[:-1] + b",}"], "json")


def _single_quoted_record(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "single_quoted_record", [repr(good(1)[0]).encode()], "json")


def _record_is_number(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "record_is_number", [b"42"], "object")


def _pretty_record_in_jsonl(good: Good, rng: random.Random) -> BadInput:
    order = good(1)[0]
    first, second = orjson.dumps(order)[:-1].split(b',"status":', 1)
    lines = [first + b",", b'"status":' + second + b"}"]  # one record over two lines: two broken lines
    return _mixed(good, "pretty_record_in_jsonl", lines, "json")


def _nan_amount(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "nan_amount", [_with_raw(good(1)[0], "tax", b"NaN")], "tax")


def _huge_integer_quantity(good: Good, rng: random.Random) -> BadInput:
    order = good(1)[0]
    line = orjson.dumps(order).replace(
        b'"quantity":' + str(order["items"][0]["quantity"]).encode(), b'"quantity":1' + b"0" * 30, 1
    )
    return _mixed(good, "huge_integer_quantity", [line], "quantity")


def _quantity_is_boolean(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "quantity_is_boolean", [_one(good, lambda o: o["items"][0].update(quantity=True))], "quantity")


def _nanosecond_timestamp(good: Good, rng: random.Random) -> BadInput:
    bad = _one(good, lambda o: o.update(order_ts=o["order_ts"].replace("Z", "789Z")))
    return _mixed(good, "nanosecond_timestamp", [bad], "order_ts")


def _status_wrong_case(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "status_wrong_case", [_one(good, lambda o: o.update(status=o["status"].upper()))], "status")


def _address_is_text(good: Good, rng: random.Random) -> BadInput:
    return _mixed(
        good, "address_is_text", [_one(good, lambda o: o.update(shipping_address="1 Main St"))], "shipping_address"
    )


def _items_is_object(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "items_is_object", [_one(good, lambda o: o.update(items=o["items"][0]))], "items")


# --- valid JSON, invalid text ------------------------------------------------------------------------------


def _lone_surrogate(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "lone_surrogate", [_in_name(good(1)[0], b"\\ud800")], "surrogate")


def _nul_in_string(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "nul_in_string", [_one(good, lambda o: o.update(customer_id="CUST\u0000-1"))], "nul")


def _overlong_utf8(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "overlong_utf8", [_in_name(good(1)[0], b"\xc0\xaf")], "utf-8")


def _utf8_encoded_surrogate(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "utf8_encoded_surrogate", [_in_name(good(1)[0], b"\xed\xa0\x80")], "utf-8")


# --- declared string rules ---------------------------------------------------------------------------------


def _empty_customer_id(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "empty_customer_id", [_one(good, lambda o: o.update(customer_id=""))], "blank")


def _whitespace_customer_id(good: Good, rng: random.Random) -> BadInput:
    bad = [_one(good, lambda o: o.update(customer_id="   ")), _one(good, lambda o: o.update(customer_id="\u3000"))]
    return _mixed(good, "whitespace_customer_id", bad, "blank")


def _empty_sku(good: Good, rng: random.Random) -> BadInput:
    return _mixed(good, "empty_sku", [_one(good, lambda o: o["items"][0].update(sku=""))], "blank")


def _emoji_over_bytes(good: Good, rng: random.Random) -> BadInput:
    # 17 characters fit VARCHAR(64) in characters; their 68 bytes do not
    return _mixed(good, "emoji_over_bytes", [_one(good, lambda o: o.update(customer_id=EMOJI * 17))], "68 bytes")


def _line_over_sns_limit(good: Good, rng: random.Random) -> BadInput:
    # a rejected record bigger than one SNS message: its notification must still go out
    return _mixed(
        good, "line_over_sns_limit", [_one(good, lambda o: o.update(customer_id="C" * 300_000))], "bytes long"
    )


# --- whole files -------------------------------------------------------------------------------------------


def _empty_json_array(good: Good, rng: random.Random) -> BadInput:
    return _rejected("empty_json_array", "empty-array.json", b"[]\n", "no records")


def _utf16_file(good: Good, rng: random.Random) -> BadInput:
    return _rejected(
        "utf16_file", "utf16-export.jsonl", ("\ufeff" + _jsonl(*good(3)).decode()).encode("utf-16-le"), "not json"
    )


def _gzip_trailing_garbage(good: Good, rng: random.Random) -> BadInput:
    packed = gzip.compress(_jsonl(*good(4)), mtime=0) + b"trailing garbage"
    return _rejected("gzip_trailing_garbage", "trailing-garbage.jsonl.gz", packed, "unreadable")


def _parquet_truncated(good: Good, rng: random.Random) -> BadInput:
    data = _parquet(good(4))
    return _rejected("parquet_truncated", "truncated.parquet", data[: len(data) // 2], "parquet")


def _too_many_bad_records(good: Good, rng: random.Random) -> BadInput:
    # 101 bad of 400: only a quarter, but more than the 100 invalid records a file may have
    records = [b"#" + orjson.dumps(o) if n % 4 == 0 or n == 1 else o for n, o in enumerate(good(400))]
    return _rejected("too_many_bad_records", "too-many-bad.jsonl", _jsonl(*records), "limit of 100")


def _hidden_temporary_upload(good: Good, rng: random.Random) -> BadInput:
    return BadInput(
        "hidden_temporary_upload",
        ".orders.jsonl.tmp",
        _jsonl(*good(3)),
        True,
        0,
        0,
        "hidden or temporary file name",
        hidden_name=True,
    )


def _underscore_file(good: Good, rng: random.Random) -> BadInput:
    return BadInput(
        "underscore_file", "_orders.jsonl", _jsonl(*good(3)), True, 0, 0, "rename it to load it", hidden_name=True
    )


def _ds_store(good: Good, rng: random.Random) -> BadInput:
    return BadInput(
        "ds_store",
        ".DS_Store",
        b"\x00\x00\x00\x01Bud1" + rng.randbytes(200),
        True,
        0,
        0,
        "hidden or temporary file name",
        hidden_name=True,
    )


def _success_marker(good: Good, rng: random.Random) -> BadInput:
    return BadInput("success_marker", "_SUCCESS", b"", False, 0, 0, "zero-byte marker", hidden_name=True, ignored=True)


# --- tricky but good ---------------------------------------------------------------------------------------


def _cr_only_line_endings(good: Good, rng: random.Random) -> BadInput:
    content = b"".join(orjson.dumps(o) + b"\r" for o in good(4))
    return BadInput("cr_only_line_endings", "classic-mac.jsonl", content, False, 0, 4, "")


def _bom_and_blank_lines(good: Good, rng: random.Random) -> BadInput:
    orders = good(3)
    content = (
        b"\xef\xbb\xbf"
        + orjson.dumps(orders[0])
        + b"\n\n  \n"
        + orjson.dumps(orders[1])
        + b"\r\n\t\r\n"
        + orjson.dumps(orders[2])
    )  # and no line end at the end
    return BadInput("bom_and_blank_lines", "bom-blank-lines.jsonl", content, False, 0, 3, "")


def _amounts_as_text(good: Good, rng: random.Random) -> BadInput:
    orders = good(3)
    for order in orders:
        for name in ("subtotal", "shipping", "tax", "total"):
            order[name] = f"{order[name]:.2f}"
    return BadInput("amounts_as_text", "amounts-as-text.jsonl", _jsonl(*orders), False, 0, 3, "")


def _amount_in_exponent_notation(good: Good, rng: random.Random) -> BadInput:
    orders = good(3)
    lines = [_with_raw(o, "shipping", f"{o['shipping'] * 10:.1f}e-1".encode()) for o in orders]
    return BadInput("amount_in_exponent_notation", "exponents.jsonl", _jsonl(*lines), False, 0, 3, "")


def _negative_zero_shipping(good: Good, rng: random.Random) -> BadInput:
    def change(order: dict) -> None:
        order["shipping"] = -0.0
        _recompute(order)

    orders = [_one(good, change) for _ in range(3)]
    return BadInput("negative_zero_shipping", "negative-zero.jsonl", _jsonl(*orders), False, 0, 3, "")


def _escaped_unicode(good: Good, rng: random.Random) -> BadInput:
    orders = good(3)
    for order in orders:
        order["shipping_address"]["name"] = "Zoë 李 \U0001f389"
    content = b"".join(json.dumps(o, ensure_ascii=True).encode() + b"\n" for o in orders)  # \u escapes, pairs
    return BadInput("escaped_unicode", "escaped-unicode.jsonl", content, False, 0, 3, "")


def _hundred_items(good: Good, rng: random.Random) -> BadInput:
    def change(order: dict) -> None:
        order["items"] = [{"sku": f"SKU-{n:04d}", "quantity": 1, "unit_price": 1.0} for n in range(100)]
        _recompute(order)

    return BadInput("hundred_items", "hundred-items.jsonl", _jsonl(*good(2), _one(good, change)), False, 0, 3, "")


def _multi_member_gzip(good: Good, rng: random.Random) -> BadInput:
    content = gzip.compress(_jsonl(*good(2)), mtime=0) + gzip.compress(_jsonl(*good(3)), mtime=0)
    return BadInput("multi_member_gzip", "concatenated.jsonl.gz", content, False, 0, 5, "")


def _pretty_object_stream(good: Good, rng: random.Random) -> BadInput:
    orders = good(4)
    orders.insert(2, _one(good, lambda o: o.update(status="misplaced")))
    content = b"\n".join(json.dumps(o, indent=2).encode() for o in orders) + b"\n"
    return BadInput("pretty_object_stream", "pretty-stream.json", content, False, 1, 4, "status")


def _parquet_blank_sku(good: Good, rng: random.Random) -> BadInput:
    orders = good(4)
    orders.insert(1, _one(good, lambda o: o["items"][0].update(sku="  ")))
    return BadInput("parquet_blank_sku", "blank-sku.parquet", _parquet(orders), False, 1, 4, "blank")


def _parquet_extra_columns(good: Good, rng: random.Random) -> BadInput:
    table = pq.read_table(io.BytesIO(_parquet(good(3))))
    table = table.append_column("loyalty_tier", pa.array(["gold", "silver", None]))
    return BadInput("parquet_extra_columns", "extra-columns.parquet", _parquet_bytes(table), False, 0, 3, "")


BUILDERS: tuple[Callable[[Good, random.Random], BadInput], ...] = (
    _huge_exponent,
    _overflowing_decimal,
    _deep_nesting,
    _duplicate_key,
    _two_records_on_one_line,
    _trailing_comma,
    _single_quoted_record,
    _record_is_number,
    _pretty_record_in_jsonl,
    _nan_amount,
    _huge_integer_quantity,
    _quantity_is_boolean,
    _nanosecond_timestamp,
    _status_wrong_case,
    _address_is_text,
    _items_is_object,
    _lone_surrogate,
    _nul_in_string,
    _overlong_utf8,
    _utf8_encoded_surrogate,
    _empty_customer_id,
    _whitespace_customer_id,
    _empty_sku,
    _emoji_over_bytes,
    _line_over_sns_limit,
    _empty_json_array,
    _utf16_file,
    _gzip_trailing_garbage,
    _parquet_truncated,
    _too_many_bad_records,
    _hidden_temporary_upload,
    _underscore_file,
    _ds_store,
    _success_marker,
    _cr_only_line_endings,
    _bom_and_blank_lines,
    _amounts_as_text,
    _amount_in_exponent_notation,
    _negative_zero_shipping,
    _escaped_unicode,
    _hundred_items,
    _multi_member_gzip,
    _pretty_object_stream,
    _parquet_blank_sku,
    _parquet_extra_columns,
)
