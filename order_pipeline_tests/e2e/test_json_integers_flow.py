"""Integer columns take what the README's kinds table says they take from JSON (issue 25, item 4): integral
numbers written as floats (`3.0`, `3e0`) and numeric text (`"3"`), on both warehouses; `3.5` and `true` still
reject their record with a reason, and a NUL character in a string rejects its record (neither warehouse stores
one). Before the fix, `"quantity": "3"` was "expected an integer, got string 3" and a file of four such records
was quarantined whole."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import orjson

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.steps.lake.convert_partition import read_record
from order_pipeline_tests.support.pipeline_harness import local_pipeline

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)


def with_quantity(order: dict, text: bytes) -> bytes:
    """The order's JSON line with the first item's quantity written as `text` (JSON as it is, e.g. `3.0`)."""
    first = order["items"][0]
    marker = 987654321
    line = orjson.dumps(dict(order, items=[dict(first, quantity=marker), *order["items"][1:]]))
    return line.replace(str(marker).encode(), text)


def test_integral_floats_and_numeric_text_load_into_integer_columns(aws_endpoint, bucket, tmp_path, warehouse_env):
    orders = list(generate_orders(8, seed=25, start_date=DAY, id_prefix="INT"))
    lines = []
    for order, written in zip(orders, (b'"{q}"', b"{q}.0", b"{q}e0", b'"{q}.00"', b"{q}"), strict=False):
        quantity = order["items"][0]["quantity"]
        lines.append(with_quantity(order, written.replace(b"{q}", str(quantity).encode())))
    lines.append(with_quantity(orders[5], b"3.5"))
    lines.append(with_quantity(orders[6], b"true"))
    nul = dict(orders[7], shipping_address=dict(orders[7]["shipping_address"], name="Ana \x00 Smith"))
    lines.append(orjson.dumps(nul))
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=warehouse_env) as pipeline:
        key = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/integers.jsonl"
        pipeline.land(key, b"\n".join(lines) + b"\n")
        assert not pipeline.tick().failed_runs
        loaded = dict(pipeline.query('SELECT order_id, status FROM "orders"'))
        assert sorted(loaded) == sorted(o["order_id"] for o in orders[:5])
        quantities = pipeline.query('SELECT order_id, quantity FROM "order_items" WHERE line_number = 1')
        assert dict(quantities) == {o["order_id"]: o["items"][0]["quantity"] for o in orders[:5]}
        assert pipeline.query('SELECT status FROM "file_ledger"') == [("loaded",)]

        root = pipeline.settings.landing_root("orders")
        (version,) = list_landing_day(pipeline.s3, bucket, root, DAY)
        record = read_record(pipeline.s3, pipeline.settings.layout, ORDERS, DAY.isoformat(), version)
        assert record is not None and record.rejected_records == 3, record
        rejects_key = record.rejects_uri.split(f"{bucket}/", 1)[1]
        body = pipeline.s3.get_object(Bucket=bucket, Key=rejects_key)["Body"].read()
        rejects = [json.loads(line) for line in body.splitlines()]
        reasons = {r["record"]: (r["field"], r["reason"]) for r in rejects}
        assert "3.5 is not an integer" in reasons[6][1], reasons
        assert "expected an integer, got boolean" in reasons[7][1], reasons
        assert reasons[8] == (
            "shipping_address.name",
            "holds a NUL character (\\u0000), which warehouse strings cannot store",
        ), reasons
