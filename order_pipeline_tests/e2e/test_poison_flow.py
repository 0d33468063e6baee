"""Poisoned records through the real sensor and runs: rejected with reasons, never blocking good data.

The findings of issue 13, each as it was found: a record with "tax": 1e400 and one nested 50,000 levels deep
failed their runs (and an innocent file of the same date never loaded); a 9,002-line file with a
duplicate-key record and two versions of one order across the 4 MiB read cut was miscounted and loaded the
wrong version; a 5 MB rejected line got no notification; hidden file names were silently skipped; a 4-byte
emoji string that fits VARCHAR(n) in characters but not in bytes (on both warehouses).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import dagster as dg
import orjson
import pytest

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.steps.lake.convert_partition import read_record
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline_tests.support.generated_files import cut_file
from order_pipeline_tests.support.pipeline_harness import local_pipeline

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
PARTITION = DAY.isoformat()
EMOJI = "\U0001f600"


def jsonl(records) -> bytes:
    return b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in records)


def key(pipeline, name: str) -> str:
    return f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/{name}"


def conversion_record(pipeline, name: str) -> ConvertedFile:
    (version,) = [v for v in _listed(pipeline) if v.key == key(pipeline, name)]
    record = read_record(pipeline.s3, pipeline.settings.layout, ORDERS, PARTITION, version)
    assert record is not None, name
    return record


def _listed(pipeline):
    return list_landing_day(pipeline.s3, pipeline.settings.bucket, pipeline.settings.landing_root("orders"), DAY)


def rejects_of(pipeline, record: ConvertedFile) -> list[dict]:
    _, rejects_key = record.rejects_uri.split(f"{pipeline.settings.bucket}/", 1)
    body = pipeline.s3.get_object(Bucket=pipeline.settings.bucket, Key=rejects_key)["Body"].read()
    return [json.loads(line) for line in body.splitlines()]


def orders_with_prefix(pipeline, prefix: str) -> int:
    return pipeline.query(f"SELECT COUNT(*) FROM \"orders\" WHERE order_id LIKE '{prefix}-%'")[0][0]


def replace_value(order: dict, field: str, text: bytes) -> bytes:
    line = orjson.dumps(order)
    start = line.index(b'"' + field.encode() + b'":') + len(field) + 3
    return line[:start] + text + line[start + len(orjson.dumps(order[field])) :]


POISONS = {
    "huge_exponent": (lambda o: replace_value(o, "tax", b"1e400"), "tax", "1E+400 is out of range"),
    "deep_nesting": (
        lambda o: replace_value(o, "status", b"[" * 50_000 + b"]" * 50_000),
        None,
        "nested deeper than 64 levels",
    ),
}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_poisoned_record_is_rejected_and_the_innocent_neighbour_loads(pipeline, poison: str) -> None:
    make, field, reason = POISONS[poison]
    good = list(generate_orders(6, seed=1, start_date=DAY, id_prefix="HOST"))
    poisoned = make(good.pop(3))
    pipeline.land(key(pipeline, "host.jsonl"), jsonl([*good[:3], poisoned, *good[3:]]))
    pipeline.land(
        key(pipeline, "neighbour.jsonl"), jsonl(generate_orders(5, seed=2, start_date=DAY, id_prefix="INNOCENT"))
    )

    outcome = pipeline.tick()

    assert outcome.partitions == [PARTITION]
    (run,) = outcome.runs
    assert run.success and not [e for e in run.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert orders_with_prefix(pipeline, "INNOCENT") == 5 and orders_with_prefix(pipeline, "HOST") == 5
    host = conversion_record(pipeline, "host.jsonl")
    assert host.status == "partial" and host.counts == {"read": 6, "written": 5, "rejected": 1}
    (reject,) = rejects_of(pipeline, host)
    assert (reject["record"], reject["line"], reject["field"]) == (4, 4, field)
    assert reason in reject["reason"]
    (announced,) = [m for m in pipeline.notifications() if m["event_type"] == "records_rejected"]
    assert announced["file"].endswith("/host.jsonl") and announced["rejected_records"] == 1
    assert dict(pipeline.query('SELECT key, status FROM "file_ledger"')) == {
        key(pipeline, "host.jsonl"): "loaded",
        key(pipeline, "neighbour.jsonl"): "loaded",
    }


def test_a_file_across_the_4_mib_cut_is_counted_exactly_and_the_later_version_wins(pipeline) -> None:
    content, first_record, first, second = cut_file()
    pipeline.land(key(pipeline, "cut.jsonl"), content)

    outcome = pipeline.tick()

    assert not outcome.failed_runs
    record = conversion_record(pipeline, "cut.jsonl")
    assert record.status == "partial" and record.total_records == 9_002
    assert record.counts == {"read": 9_002, "written": 9_001, "rejected": 1}
    assert record.rows["orders"] == 9_001 and record.rejected_records == 1
    assert [(r["record"], r["line"]) for r in rejects_of(pipeline, record)] == [(101, 101)]
    assert pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0] == (9_000, 9_000)
    status, source_record = pipeline.query(
        f"SELECT status, _source_record FROM \"orders\" WHERE order_id = '{first['order_id']}'"
    )[0]
    assert (status, source_record) == (second["status"], first_record + 1) != (first["status"], first_record)
    assert pipeline.query('SELECT "rows", status FROM "file_ledger"') == [(9_001, "loaded")]


def test_a_5_mb_rejected_line_still_gets_its_notification(pipeline) -> None:
    good = list(generate_orders(5, seed=3, start_date=DAY, id_prefix="BIG"))
    huge = dict(good.pop(2), customer_id="C" * 5_000_000)
    pipeline.land(key(pipeline, "big-line.jsonl"), jsonl([*good[:2], huge, *good[2:]]))

    assert not pipeline.tick().failed_runs

    assert orders_with_prefix(pipeline, "BIG") == 4
    (message,) = [m for m in pipeline.notifications() if m["event_type"] == "records_rejected"]
    assert message["file"].endswith("/big-line.jsonl") and message["rejected_records"] == 1
    (shown,) = message["first_rejects"]
    assert (shown["record"], shown["field"]) == (3, "customer_id")
    assert "raw" not in shown  # the record's content stays in the quarantine (issue 20 item 6)
    assert len(json.dumps(message)) < 256 * 1024
    (kept,) = rejects_of(pipeline, conversion_record(pipeline, "big-line.jsonl"))
    assert kept["raw"]["customer_id"] == "C" * 5_000_000  # the quarantine keeps the whole record


def test_hidden_names_are_accounted_for_not_skipped(pipeline) -> None:
    pipeline.land(key(pipeline, "_SUCCESS"), b"")
    pipeline.land(
        key(pipeline, ".orders.jsonl.tmp"), jsonl(generate_orders(3, seed=4, start_date=DAY, id_prefix="TEMP"))
    )
    pipeline.land(key(pipeline, "orders.jsonl"), jsonl(generate_orders(4, seed=5, start_date=DAY, id_prefix="SEEN")))
    outcome = pipeline.tick()
    (run,) = outcome.runs
    assert run.success
    assert orders_with_prefix(pipeline, "SEEN") == 4 and orders_with_prefix(pipeline, "TEMP") == 0
    ledger = {
        k.rsplit("/", 1)[-1]: (status, error)
        for k, status, error in pipeline.query('SELECT key, status, error FROM "file_ledger"')
    }
    assert ledger["orders.jsonl"] == ("loaded", None)
    assert ledger["_SUCCESS"][0] == "quarantined" and ledger["_SUCCESS"][1].startswith("ignored: ")
    assert ledger[".orders.jsonl.tmp"][0] == "quarantined" and "rename it to load it" in ledger[".orders.jsonl.tmp"][1]
    assert conversion_record(pipeline, "_SUCCESS").status == "ignored"
    (lake,) = [
        m.metadata
        for m in run.asset_materializations_for_node("lake_orders")
        if m.asset_key == dg.AssetKey(["lake", "orders_parquet"])
    ]
    assert (lake["files"].value, lake["files_ignored"].value, lake["files_quarantined"].value) == (3, 1, 1)
    quarantined = [m["file"] for m in pipeline.notifications() if m["event_type"] == "file_quarantined"]
    assert [uri.rsplit("/", 1)[-1] for uri in quarantined] == [".orders.jsonl.tmp"]


def test_a_string_over_its_byte_limit_is_rejected_on_both_warehouses(
    aws_endpoint, bucket, tmp_path, warehouse_env
) -> None:  # noqa: F811
    good = list(generate_orders(4, seed=6, start_date=DAY, id_prefix="UTF"))
    fits = dict(good[0], customer_id=EMOJI * 16)  # 64 bytes: exactly VARCHAR(64)
    over = dict(good[1], customer_id=EMOJI * 17)  # 17 characters fit VARCHAR(64); 68 bytes do not
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=warehouse_env) as pipeline:
        pipeline.land(key(pipeline, "emoji.jsonl"), jsonl([fits, over, *good[2:]]))
        assert not pipeline.tick().failed_runs
        loaded = dict(pipeline.query('SELECT order_id, customer_id FROM "orders"'))
        assert loaded == {
            fits["order_id"]: EMOJI * 16,
            good[2]["order_id"]: good[2]["customer_id"],
            good[3]["order_id"]: good[3]["customer_id"],
        }
        (reject,) = rejects_of(pipeline, conversion_record(pipeline, "emoji.jsonl"))
        assert (reject["record"], reject["field"]) == (2, "customer_id")
        assert reject["reason"] == "is 68 bytes long in UTF-8 (17 characters), more than its limit of 64 bytes"
        assert pipeline.query('SELECT status FROM "file_ledger"') == [("loaded",)]
