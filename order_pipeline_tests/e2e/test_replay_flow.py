"""Replaying fixed quarantined data through the real sensor and runs: it loads once, and replaying it again
loads nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import orjson

from order_pipeline.commands.replay import replay
from order_pipeline.components.keys import job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
PARTITION = DAY.isoformat()


def counts(pipeline) -> tuple[int, int, int]:
    orders, distinct = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0]
    return orders, distinct, pipeline.query('SELECT COUNT(*) FROM "file_ledger"')[0][0]


def landing_key(pipeline, name: str) -> str:
    return f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/{name}"


def one_message(pipeline, event_type: str) -> dict:
    (message,) = [m for m in pipeline.notifications() if m["event_type"] == event_type]
    return message


def replay_and_tick(pipeline, uri: str, fixed_file) -> tuple[str, object]:
    landed = replay(pipeline.s3, pipeline.settings.layout, ORDERS, uri, fixed_file=fixed_file)
    return landed, pipeline.tick()


def assert_replaying_again_loads_nothing(pipeline, uri: str, fixed_file, landed: str, before) -> None:
    assert replay(pipeline.s3, pipeline.settings.layout, ORDERS, uri, fixed_file=fixed_file) == landed
    assert pipeline.tick().runs == []
    # even a forced re-run of the partition loads nothing: the ledger already has that version
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    assert job.execute_in_process(instance=pipeline.instance, partition_key=PARTITION).success
    assert counts(pipeline) == before
    assert [m["event_type"] for m in pipeline.notifications()] == []


def test_fixed_rejected_records_replay_once(pipeline, tmp_path):
    orders = list(generate_orders(10, seed=8, start_date=DAY, id_prefix="RPL"))
    bad_ids = {orders[3]["order_id"], orders[7]["order_id"]}
    for order in orders:
        if order["order_id"] in bad_ids:
            order["currency"] = "usd"  # lower case: rejected
    pipeline.land(landing_key(pipeline, "orders.jsonl"), b"".join(orjson.dumps(o) + b"\n" for o in orders))
    assert not pipeline.tick().failed_runs
    assert counts(pipeline) == (8, 8, 1)

    rejected = one_message(pipeline, "records_rejected")
    rejects_uri = rejected["rejects"]
    bucket, key = rejects_uri[len("s3://") :].split("/", 1)
    assert key.startswith(f"quarantine/orders/dt={PARTITION}/") and key.endswith(".rejects.jsonl")
    entries = [
        json.loads(line)
        for line in pipeline.s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
        if line.strip()
    ]
    assert {e["raw"]["order_id"] for e in entries} == bad_ids
    assert all(e["field"] == "currency" for e in entries)

    for entry in entries:  # the operator's fix
        entry["raw"]["currency"] = "USD"
    fixed = tmp_path / "fixed.rejects.jsonl"
    fixed.write_text("".join(json.dumps(e) + "\n" for e in entries))
    landed, outcome = replay_and_tick(pipeline, rejects_uri, fixed)
    assert landed.startswith(f"s3://{pipeline.settings.bucket}/landing/orders/dt={PARTITION}/replay-")
    assert outcome.partitions == [PARTITION] and not outcome.failed_runs
    assert counts(pipeline) == (10, 10, 2)
    loaded_ids = {row[0] for row in pipeline.query("SELECT order_id FROM \"orders\" WHERE currency = 'USD'")}
    assert bad_ids <= loaded_ids
    assert one_message(pipeline, "partition_loaded")["rows_inserted"] == 2

    assert_replaying_again_loads_nothing(pipeline, rejects_uri, fixed, landed, (10, 10, 2))


def test_fixed_quarantined_file_replays_once(pipeline, tmp_path):
    orders = list(generate_orders(6, seed=9, start_date=DAY, id_prefix="WHOLE"))
    broken = b"[" + b",\n".join(orjson.dumps(o) for o in orders) + b"\n"  # the closing bracket is missing
    pipeline.land(landing_key(pipeline, "export.json"), broken)
    assert not pipeline.tick().failed_runs
    assert counts(pipeline) == (0, 0, 1)
    assert pipeline.query('SELECT status FROM "file_ledger"') == [("quarantined",)]

    quarantined = one_message(pipeline, "file_quarantined")
    uri = quarantined["quarantined_to"]
    bucket, key = uri[len("s3://") :].split("/", 1)
    assert pipeline.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == broken

    fixed = tmp_path / "export.json"
    fixed.write_bytes(broken + b"]\n")
    landed, outcome = replay_and_tick(pipeline, uri, fixed)
    assert outcome.partitions == [PARTITION] and not outcome.failed_runs, outcome
    assert counts(pipeline) == (6, 6, 2)
    statuses = sorted(pipeline.query('SELECT status FROM "file_ledger"'))
    assert statuses == [("loaded",), ("quarantined",)]
    assert one_message(pipeline, "partition_loaded")["rows_inserted"] == 6

    assert_replaying_again_loads_nothing(pipeline, uri, fixed, landed, (6, 6, 2))
