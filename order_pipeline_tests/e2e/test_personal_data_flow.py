"""Issue 20 item 6, through the real sensor and run: a rejected record holding a customer's name and e-mail
address; no notification, no materialization or check metadata and no run event holds either (the record stays
in the quarantine object the notification links to)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import orjson

from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline_tests.support.hostile_files import PERSONAL_EMAIL, PERSONAL_NAME

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)


def test_a_rejected_record_s_name_and_e_mail_appear_in_no_message_or_metadata(pipeline) -> None:
    good, bad = generate_orders(2, seed=7, start_date=DAY, id_prefix="PII")
    bad = dict(bad, total=-1, customer_email=PERSONAL_EMAIL)
    bad["shipping_address"] = dict(bad["shipping_address"], name=PERSONAL_NAME)
    name = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/personal.jsonl"
    pipeline.land(name, b"".join(orjson.dumps(r) + b"\n" for r in (good, bad)))

    outcome = pipeline.tick()

    assert not outcome.failed_runs
    messages = pipeline.notifications()
    (rejected,) = [m for m in messages if m["event_type"] == "records_rejected"]
    assert rejected["rejected_records"] == 1 and rejected["rejects"]  # named, counted, linked to the quarantine
    (shown,) = rejected["first_rejects"]
    assert shown["record"] == 2 and shown["field"] == "total" and shown["reason"]
    said = json.dumps(messages) + "".join(repr(e) for run in outcome.runs for e in run.all_events)
    assert PERSONAL_NAME not in said and PERSONAL_EMAIL not in said
