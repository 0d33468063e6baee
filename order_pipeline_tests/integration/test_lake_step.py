"""The lake step against the local S3 endpoint: hidden names accounted for, the crash guard, faults we survive."""

from __future__ import annotations

import json
import threading
from datetime import date

import orjson
import pytest
from botocore.exceptions import EndpointConnectionError

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.config import Settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake.conversion_attempts import MAX_ATTEMPTS
from order_pipeline.steps.lake.convert_partition import convert_landing_file, convert_partition
from order_pipeline.steps.lake.step_attempt import step_attempt_key
from order_pipeline.steps.warehouse.load_partition import batch_file
from order_pipeline_tests.support.order_samples import jsonl_bytes, order

DAY = date(2026, 11, 20)
PARTITION = DAY.isoformat()
FOLDER = "landing/orders/2026/11/20/"


def _land(s3_client, bucket: str, files: dict[str, bytes]) -> dict:
    for name, body in files.items():
        s3_client.put_object(Bucket=bucket, Key=FOLDER + name, Body=body)
    return {v.key.rsplit("/", 1)[-1]: v for v in list_landing_day(s3_client, bucket, "landing/orders/", DAY)}


def _get(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()


def _exists(s3_client, bucket: str, key: str) -> bool:
    return s3_client.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) > 0


def test_hidden_names_are_listed_and_accounted_for(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    s3_client.put_object(Bucket=bucket, Key=FOLDER, Body=b"")  # a folder marker: not a file
    bodies = {
        "_SUCCESS": b"",
        ".orders.jsonl.swp": jsonl_bytes([order(1)]),
        "_partial.jsonl": jsonl_bytes([order(2)]),
        "orders.jsonl": jsonl_bytes([order(3)]),
    }
    versions = _land(s3_client, bucket, bodies)
    assert sorted(versions) == [".orders.jsonl.swp", "_SUCCESS", "_partial.jsonl", "orders.jsonl"]

    records = {
        c.source.key.rsplit("/", 1)[-1]: c
        for c, _ in convert_partition(s3_client, settings.layout, ORDERS, PARTITION, list(versions.values()))
    }

    marker = records["_SUCCESS"]
    assert marker.status == "ignored" and not marker.loadable and marker.parts == {}
    assert marker.error.startswith("ignored: ") and "zero-byte marker" in marker.error
    ledger_row = batch_file(marker)
    assert (ledger_row.status, ledger_row.error) == ("quarantined", marker.error)
    for name in (".orders.jsonl.swp", "_partial.jsonl"):
        hidden = records[name]
        assert hidden.status == "rejected" and not hidden.loadable
        assert "hidden or temporary file name" in hidden.error and "rename it to load it" in hidden.error
        copy_key = hidden.quarantine_uri.split(bucket + "/", 1)[1]
        assert _get(s3_client, bucket, copy_key) == bodies[name]
        assert json.loads(_get(s3_client, bucket, copy_key + ".error.json"))["error"] == hidden.error
    assert records["orders.jsonl"].status == "converted" and records["orders.jsonl"].rows["orders"] == 1
    # each has its conversion record: a re-run converts nothing again
    again = list(convert_partition(s3_client, settings.layout, ORDERS, PARTITION, list(versions.values())))
    assert [now for _, now in again] == [False] * 4


def test_small_files_are_converted_two_at_a_time_in_file_order_and_a_cut_short_one_alone(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    versions = _land(s3_client, bucket, {f"orders-{i}.jsonl": jsonl_bytes([order(i)]) for i in range(6)})
    files = sorted(versions.values(), key=lambda v: v.key)
    suspect = files[2]  # an earlier attempt at it was cut short (its process died)
    s3_client.put_object(
        Bucket=bucket,
        Key=settings.layout.attempts_key(ORDERS.name, PARTITION, suspect),
        Body=json.dumps({"attempts": 1}).encode(),
    )
    started_on: dict[str, str] = {}  # a landing file is fetched by the thread converting it
    attempts_written: list[str] = []

    def note_thread(params, **_) -> None:
        started_on.setdefault(params["Key"], threading.current_thread().name)

    def note_attempts(params, **_) -> None:
        if params["Key"].endswith(".attempts"):
            attempts_written.append(params["Key"])

    s3_client.meta.events.register("provide-client-params.s3.GetObject", note_thread)
    s3_client.meta.events.register("provide-client-params.s3.PutObject", note_attempts)
    try:
        converted = list(convert_partition(s3_client, settings.layout, ORDERS, PARTITION, files))
    finally:
        s3_client.meta.events.unregister("provide-client-params.s3.GetObject", note_thread)
        s3_client.meta.events.unregister("provide-client-params.s3.PutObject", note_attempts)

    assert [c.source.key for c, _ in converted] == [v.key for v in files]
    assert all(now and c.status == "converted" for c, now in converted)
    threads = {v.key.rsplit("/", 1)[-1]: started_on[v.key] for v in files}
    assert threads.pop(suspect.key.rsplit("/", 1)[-1]) == threading.main_thread().name
    assert all(name.startswith("conversion") for name in threads.values()), threads
    assert len(set(threads.values())) == 2  # the others were shared between two threads
    # only the suspect is guarded by an attempts record of its own; the others by the step's one object
    assert attempts_written == [settings.layout.attempts_key(ORDERS.name, PARTITION, suspect)]
    assert not _exists(s3_client, bucket, settings.layout.attempts_key(ORDERS.name, PARTITION, suspect))
    assert not _exists(s3_client, bucket, step_attempt_key(settings.layout, ORDERS, PARTITION))


def test_a_step_that_died_charges_the_files_it_was_converting_and_converts_them_alone(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    versions = _land(s3_client, bucket, {f"orders-{i}.jsonl": jsonl_bytes([order(i)]) for i in range(5)})
    files = sorted(versions.values(), key=lambda v: v.key)
    # a step started all five, recorded the first and died: the next two may have been in flight
    list(convert_partition(s3_client, settings.layout, ORDERS, PARTITION, files[:1]))
    step_key = step_attempt_key(settings.layout, ORDERS, PARTITION)
    s3_client.put_object(
        Bucket=bucket, Key=step_key, Body=json.dumps({"versions": [v.version_id for v in files]}).encode()
    )
    charged: list[tuple[str, int]] = []

    def note_attempts(params, **_) -> None:
        if params["Key"].endswith(".attempts"):
            charged.append((params["Key"], json.loads(params["Body"])["attempts"]))

    s3_client.meta.events.register("provide-client-params.s3.PutObject", note_attempts)
    try:
        converted = list(convert_partition(s3_client, settings.layout, ORDERS, PARTITION, files))
    finally:
        s3_client.meta.events.unregister("provide-client-params.s3.PutObject", note_attempts)

    assert [now for _, now in converted] == [False, True, True, True, True]
    suspects = [settings.layout.attempts_key(ORDERS.name, PARTITION, v) for v in files[1:3]]
    # charged one cut-short attempt each, then converted alone as their second attempt
    assert charged == [(suspects[0], 1), (suspects[1], 1), (suspects[0], 2), (suspects[1], 2)]
    assert [c.attempts for c, _ in converted[1:]] == [2, 2, 1, 1]
    assert not any(_exists(s3_client, bucket, key) for key in [*suspects, step_key])


def test_a_version_started_too_often_is_quarantined_instead_of_converted_again(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    version = _land(s3_client, bucket, {"killer.jsonl": jsonl_bytes([order(1)])})["killer.jsonl"]
    key = settings.layout.attempts_key(ORDERS.name, PARTITION, version)
    assert key == settings.layout.record_key(ORDERS.name, PARTITION, version) + ".attempts"
    s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps({"attempts": MAX_ATTEMPTS}).encode())

    converted = convert_landing_file(s3_client, settings.layout, ORDERS, PARTITION, version)

    assert converted.status == "rejected" and converted.attempts == MAX_ATTEMPTS and converted.parts == {}
    assert converted.error == (
        f"{version.uri}: conversion did not complete in 3 attempts (process killed or out "
        "of memory?); quarantined instead of being converted again"
    )
    copy_key = converted.quarantine_uri.split(bucket + "/", 1)[1]
    assert _get(s3_client, bucket, copy_key) == jsonl_bytes([order(1)])
    assert json.loads(_get(s3_client, bucket, copy_key + ".error.json"))["attempts"] == MAX_ATTEMPTS
    assert not _exists(s3_client, bucket, key)


def test_a_version_cut_short_fewer_times_converts_and_says_how_many_attempts_it_took(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    version = _land(s3_client, bucket, {"flaky.jsonl": jsonl_bytes([order(1), order(2)])})["flaky.jsonl"]
    key = settings.layout.attempts_key(ORDERS.name, PARTITION, version)
    s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps({"attempts": MAX_ATTEMPTS - 1}).encode())
    converted = convert_landing_file(s3_client, settings.layout, ORDERS, PARTITION, version)
    assert converted.status == "converted" and converted.attempts == MAX_ATTEMPTS
    assert converted.counts == {"read": 2, "written": 2, "rejected": 0}
    assert not _exists(s3_client, bucket, key)


def test_an_s3_fault_fails_the_file_without_counting_as_a_crash(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    version = _land(s3_client, bucket, {"a.jsonl": jsonl_bytes([order(1)])})["a.jsonl"]
    key = settings.layout.attempts_key(ORDERS.name, PARTITION, version)
    s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps({"attempts": 1}).encode())

    def unreachable(params, **_):
        if params["Key"].startswith("lake/orders/"):
            raise EndpointConnectionError(endpoint_url="http://s3.example")

    s3_client.meta.events.register("provide-client-params.s3.PutObject", unreachable)
    try:
        with pytest.raises(EndpointConnectionError):
            convert_landing_file(s3_client, settings.layout, ORDERS, PARTITION, version)
    finally:
        s3_client.meta.events.unregister("provide-client-params.s3.PutObject", unreachable)
    assert json.loads(_get(s3_client, bucket, key))["attempts"] == 1  # back where it was
    assert convert_landing_file(s3_client, settings.layout, ORDERS, PARTITION, version).status == "converted"


def test_the_conversion_record_keeps_the_counts(s3_client, bucket) -> None:
    settings = Settings(bucket=bucket)
    body = jsonl_bytes([order(1), order(2, customer_id="")]) + b"not json\n" + jsonl_bytes([order(4)])
    version = _land(s3_client, bucket, {"mixed.jsonl": body})["mixed.jsonl"]
    convert_landing_file(s3_client, settings.layout, ORDERS, PARTITION, version)
    stored = orjson.loads(_get(s3_client, bucket, settings.layout.record_key(ORDERS.name, PARTITION, version)))
    assert stored["status"] == "partial" and stored["attempts"] == 1
    assert stored["counts"] == {"read": 4, "written": 2, "rejected": 2}
