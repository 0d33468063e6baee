import json

from order_pipeline.notifications import MAX_MESSAGE_BYTES, SNS_MAX_BYTES, PipelineEvent


def test_message_is_json_with_event_type_and_details():
    event = PipelineEvent(
        "partition_loaded",
        dataset="orders",
        partition="2026-11-20",
        details={"rows_inserted": 5, "files": ["s3://b/k"]},
    )
    body = json.loads(event.message())
    assert body["event_type"] == "partition_loaded"
    assert body["rows_inserted"] == 5 and body["partition"] == "2026-11-20"
    assert event.subject == "Loaded orders partition 2026-11-20"


def test_event_type_is_a_filterable_message_attribute():
    attributes = PipelineEvent("run_failed", asset="warehouse/orders").message_attributes()
    assert attributes["event_type"] == {"DataType": "String", "StringValue": "run_failed"}


def test_subject_fits_sns_limit():
    event = PipelineEvent("check_failed", asset="x" * 300, partition="2026-11-20")
    assert len(event.subject) <= 100


def _rejected_event(raw_bytes: int, rejects: int = 3) -> PipelineEvent:
    raw = {"order_id": "ORD-1", "customer_id": "x" * raw_bytes}
    first = [
        {
            "source": "s3://b/landing/orders/big.jsonl",
            "record": n,
            "line": n,
            "field": "customer_id",
            "reason": f"is {raw_bytes} bytes long",
            "raw": raw,
        }
        for n in range(1, rejects + 1)
    ]
    return PipelineEvent(
        "records_rejected",
        dataset="orders",
        partition="2026-11-20",
        details={
            "file": "s3://b/landing/orders/big.jsonl",
            "rejected_records": rejects,
            "rejects": "s3://b/quarantine/orders/dt=2026-11-20/big.rejects.jsonl",
            "first_rejects": first,
        },
    )


def test_a_huge_rejected_record_still_fits_one_sns_message():
    event = _rejected_event(5_000_000)
    message = event.message()
    assert len(message.encode()) <= MAX_MESSAGE_BYTES < SNS_MAX_BYTES
    body = json.loads(message)
    assert body["file"] == "s3://b/landing/orders/big.jsonl" and body["rejected_records"] == 3
    assert body["rejects"].endswith("big.rejects.jsonl") and body["truncated"] is True
    first = body["first_rejects"][0]
    assert first["record"] == 1 and first["field"] == "customer_id"
    assert first["raw"]["customer_id"].endswith("… [truncated: 5000000 bytes in all]")
    assert first["raw"]["order_id"] == "ORD-1"


def test_a_small_message_is_left_alone():
    event = _rejected_event(100)
    body = json.loads(event.message())
    assert "truncated" not in body and body["first_rejects"][0]["raw"]["customer_id"] == "x" * 100


def test_long_lists_and_many_fields_are_cut_until_the_message_fits():
    files = [f"s3://b/landing/orders/2026/11/20/file-{n:06d}.jsonl" for n in range(20_000)]
    event = PipelineEvent(
        "partition_loaded", dataset="orders", partition="2026-11-20", details={"files": files, "rows_inserted": 7}
    )
    body = json.loads(event.message())
    assert body["rows_inserted"] == 7 and body["files"][0] == files[0]
    assert body["files"][-1].startswith("… and ") and body["files"][-1].endswith(" more")
    crowded = PipelineEvent("check_failed", details={f"field_{n}": "v" * 100 for n in range(50_000)} | {"n": 1})
    body = json.loads(crowded.message())
    assert body["details_dropped"] is True and body["n"] == 1
    assert len(crowded.message().encode()) <= MAX_MESSAGE_BYTES
