"""The synthetic order generator: deterministic, valid against the ORDERS declaration, and its oracles."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from order_pipeline.datasets.orders import ORDER_STATUSES, ORDERS, PAYMENT_METHODS
from order_pipeline.datasets.orders_generator import (
    assign_landing_files,
    encode_jsonl,
    generate_orders,
    landing_date,
    landing_key,
    parse_ts,
    write_jsonl,
)
from order_pipeline_tests.support.oracles import daily_summary, latest_versions

START = date(2026, 11, 20)
TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _decimal_records(orders: list[dict]) -> list[dict]:
    """Round-trip through JSON text, parsing numbers as Decimal: what a decimal-exact reader sees."""
    return [json.loads(line, parse_float=Decimal) for line in encode_jsonl(orders).splitlines()]


def _pattern(column: str) -> re.Pattern[str]:
    return re.compile(next(c.pattern for c in ORDERS.columns if c.name == column))


def test_same_seed_same_records_and_bytes() -> None:
    first = list(generate_orders(300, seed=5, start_date=START, days=3, update_share=0.2))
    second = list(generate_orders(300, seed=5, start_date=START, days=3, update_share=0.2))
    assert first == second
    assert encode_jsonl(first, gzip=True) == encode_jsonl(second, gzip=True)


def test_different_seeds_differ_but_ids_do_not() -> None:
    one = list(generate_orders(50, seed=1, start_date=START))
    two = list(generate_orders(50, seed=2, start_date=START))
    assert one != two
    assert [o["total"] for o in one] != [o["total"] for o in two]
    assert sum(a["order_id"] == b["order_id"] for a, b in zip(one, two, strict=True)) > 40


def test_id_prefix_separates_runs() -> None:
    one = {o["order_id"] for o in generate_orders(20, seed=1, start_date=START, id_prefix="A")}
    two = {o["order_id"] for o in generate_orders(20, seed=1, start_date=START, id_prefix="B")}
    assert not one & two


def test_counts_and_unique_ids() -> None:
    records = list(generate_orders(1000, start_date=START, days=2, update_share=0.25))
    assert len(records) == 1250
    ids = [o["order_id"] for o in records]
    assert len(set(ids)) == 1000
    assert ids[0] == "ORD-20261120-000001"
    assert all(_pattern("order_id").fullmatch(i) and len(i.encode()) <= 64 for i in ids)


def test_money_adds_up_exactly_in_decimal() -> None:
    for order in _decimal_records(list(generate_orders(2000, seed=9, start_date=START))):
        items_sum = sum(item["quantity"] * item["unit_price"] for item in order["items"])
        assert order["subtotal"] == items_sum
        assert order["total"] == order["subtotal"] + order["shipping"] + order["tax"]
        for amount in (
            order["subtotal"],
            order["shipping"],
            order["tax"],
            order["total"],
            *(item["unit_price"] for item in order["items"]),
        ):
            assert isinstance(amount, Decimal)
            assert amount >= 0
            assert amount == amount.quantize(Decimal("0.01"))
            assert amount < Decimal("10000000000")  # fits decimal(12, 2)


def test_tax_is_a_rate_of_the_subtotal_in_cents() -> None:
    rates = set()
    for order in _decimal_records(list(generate_orders(500, seed=3, start_date=START))):
        if order["subtotal"] >= 10 and order["shipping_address"]["country"] == "DE":
            rates.add((order["tax"] / order["subtotal"]).quantize(Decimal("0.01")))
    assert rates == {Decimal("0.19")}


def test_fields_are_valid_against_the_declaration() -> None:
    records = list(generate_orders(2000, seed=11, start_date=START, days=4, update_share=0.3))
    assert {o["status"] for o in records} == set(ORDER_STATUSES)
    assert {o["payment_method"] for o in records} == set(PAYMENT_METHODS)
    assert len({o["currency"] for o in records}) >= 4
    item_counts = {len(o["items"]) for o in records}
    assert item_counts == {1, 2, 3, 4, 5}
    for order in records:
        assert set(order) == {
            "order_id",
            "customer_id",
            "order_ts",
            "status",
            "currency",
            "payment_method",
            "shipping_address",
            "items",
            "subtotal",
            "shipping",
            "tax",
            "total",
            "updated_at",
        }
        assert _pattern("currency").fullmatch(order["currency"])
        assert _pattern("ship_country").fullmatch(order["shipping_address"]["country"])
        assert re.fullmatch(r"CUST-\d{5,}", order["customer_id"])
        assert TS.fullmatch(order["order_ts"]) and TS.fullmatch(order["updated_at"])
        assert parse_ts(order["updated_at"]) >= parse_ts(order["order_ts"])
        for item in order["items"]:
            assert re.fullmatch(r"SKU-\d{4}", item["sku"])
            assert 1 <= item["quantity"] <= 10


def test_order_ts_spread_over_the_days_in_order() -> None:
    records = list(generate_orders(700, start_date=START, days=7))
    stamps = [parse_ts(o["order_ts"]) for o in records]
    assert stamps == sorted(stamps)
    assert {s.date() for s in stamps} == {START + timedelta(days=d) for d in range(7)}
    assert all(o["order_id"][4:12] == parse_ts(o["order_ts"]).strftime("%Y%m%d") for o in records)


@pytest.mark.parametrize("count, share", [(400, 0.5), (30, 4.0)])  # 4.0: most orders reach a final status
def test_updates_change_status_and_come_later(count: int, share: float) -> None:
    records = list(generate_orders(count, seed=4, start_date=START, days=2, update_share=share))
    latest: dict[str, dict] = {}
    updates = 0
    for record in records:
        previous = latest.get(record["order_id"])
        if previous is not None:
            updates += 1
            assert parse_ts(record["updated_at"]) > parse_ts(previous["updated_at"])
            assert landing_date(record) >= landing_date(previous)
            assert record["status"] != previous["status"]
            assert record["order_ts"] == previous["order_ts"]
            assert record["items"] == previous["items"] and record["total"] == previous["total"]
        latest[record["order_id"]] = record
    assert updates == round(count * share)
    assert len(records) == count + updates


def test_latest_versions_picks_latest_updated_at_then_later_record() -> None:
    records = list(generate_orders(300, seed=8, start_date=START, update_share=0.5))
    latest = latest_versions(reversed(records))  # input order must not matter when updated_at differs
    assert len(latest) == 300
    for record in records:
        assert parse_ts(latest[record["order_id"]]["updated_at"]) >= parse_ts(record["updated_at"])
    tie = dict(records[0], status="refunded")
    assert latest_versions([records[0], tie])[tie["order_id"]]["status"] == "refunded"
    assert latest_versions([tie, records[0]])[tie["order_id"]]["status"] == records[0]["status"]


def test_daily_summary_matches_definitions() -> None:
    order = {
        "order_id": "X-1",
        "order_ts": "2026-11-20T23:59:59.000000Z",
        "status": "paid",
        "items": [{"quantity": 2}, {"quantity": 3}],
        "total": 10.1,
        "updated_at": "2026-11-21T00:00:01Z",
    }
    newer = dict(order, status="refunded", total=10.2, updated_at="2026-11-22T00:00:00Z")
    other = dict(
        order,
        order_id="X-2",
        order_ts="2026-11-21T00:00:00+00:00",
        items=[{"quantity": 1}],
        total=0.2,
        status="cancelled",
    )
    third = dict(other, order_id="X-3", status="delivered", total=0.1)
    assert daily_summary([order, newer, other, third]) == {
        "2026-11-20": {"order_count": 1, "item_quantity": 5, "gross_revenue": Decimal("10.2"), "cancelled_count": 1},
        "2026-11-21": {"order_count": 2, "item_quantity": 2, "gross_revenue": Decimal("0.3"), "cancelled_count": 1},
    }


def test_daily_summary_of_generated_orders_is_consistent() -> None:
    records = list(generate_orders(600, seed=2, start_date=START, days=3, update_share=0.4))
    summary = daily_summary(records)
    assert list(summary) == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert sum(day["order_count"] for day in summary.values()) == 600
    latest = latest_versions(records).values()
    expected_revenue = sum(Decimal(repr(o["total"])) for o in latest)
    assert sum(day["gross_revenue"] for day in summary.values()) == expected_revenue
    assert 0 < sum(day["cancelled_count"] for day in summary.values()) < 600


def test_assign_landing_files_groups_by_updated_at_date_in_order() -> None:
    records = list(generate_orders(500, seed=6, start_date=START, days=3, update_share=0.3))
    files = assign_landing_files(records, files_per_day=4)
    assert list(files) == sorted(files)
    assert {index for _, index in files} == {1, 2, 3, 4}
    for (day, _), chunk in files.items():
        assert chunk and all(landing_date(o) == day for o in chunk)
    replay = [o for key in sorted(files) for o in files[key]]
    assert sorted(map(id, replay)) == sorted(map(id, records))
    for day in {d for d, _ in files}:
        assert [o for o in replay if landing_date(o) == day] == [o for o in records if landing_date(o) == day]
    sizes = [len(files[(START, i)]) for i in range(1, 5)]
    assert max(sizes) - min(sizes) <= 1
    assert assign_landing_files(records[:2], files_per_day=4).keys() <= {(START, 1), (START, 2)}
    assert landing_key(date(2026, 1, 2), 3, gzip=True) == "landing/orders/2026/01/02/orders-3.jsonl.gz"
    with pytest.raises(ValueError):
        assign_landing_files(records, files_per_day=0)


def test_jsonl_and_gzip_round_trip(tmp_path) -> None:
    records = list(generate_orders(120, seed=12, start_date=START, update_share=0.1))
    plain = encode_jsonl(records)
    assert plain.count(b"\n") == 132
    assert [json.loads(line) for line in plain.splitlines()] == records
    packed = encode_jsonl(records, gzip=True)
    assert packed[:2] == b"\x1f\x8b" and gzip.decompress(packed) == plain
    assert write_jsonl(iter(records), tmp_path / "o.jsonl.gz", gzip=True, batch=50) == 132
    assert gzip.decompress((tmp_path / "o.jsonl.gz").read_bytes()) == plain
    assert write_jsonl(records, tmp_path / "o.jsonl", batch=7) == 132
    assert (tmp_path / "o.jsonl").read_bytes() == plain


def test_money_text_has_at_most_two_decimals() -> None:
    text = encode_jsonl(generate_orders(300, seed=13, start_date=START)).decode()
    amounts = re.findall(r'"(?:unit_price|subtotal|shipping|tax|total)":(-?[0-9.eE+]+)', text)
    assert len(amounts) > 1500
    assert all(re.fullmatch(r"\d+\.\d{1,2}", a) for a in amounts)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        list(generate_orders(1, start_date=START, days=0))
    with pytest.raises(ValueError):
        list(generate_orders(1, start_date=START, update_share=-0.1))
    assert list(generate_orders(0, start_date=START, update_share=0.5)) == []
