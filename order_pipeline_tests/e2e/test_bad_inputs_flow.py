"""The whole bad-input corpus landing next to good files in one partition, through the real sensor and run.

Every good record loads, every unreadable file is copied to quarantine with an error report, every rejected
record is kept in a rejects file with its reason, the ledger holds one row per file, and each quarantined file
is announced exactly once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.defs.build import job_name
from order_pipeline_tests.support.bad_inputs import BadInput, build_corpus
from order_pipeline_tests.support.pipeline_harness import local_pipeline

pytestmark = pytest.mark.e2e
DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
PARTITION = DAY.isoformat()
CORPUS = build_corpus()
GOOD_FILES = {"good-a.jsonl": ("GOODA", 25), "good-b.jsonl": ("GOODB", 17)}


def jsonl(records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def read(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def list_keys(s3, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path):
    with local_pipeline(aws_endpoint, bucket, tmp_path) as running:
        yield running


def test_corpus_mixed_with_good_files_in_one_partition(pipeline):
    root = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/"
    bucket = pipeline.settings.bucket
    s3 = pipeline.s3
    assert len({entry.filename for entry in CORPUS}) == len(CORPUS) == 38
    uri_of: dict[str, str] = {}
    for entry in CORPUS:
        pipeline.land(root + entry.filename, entry.content)
        uri_of[entry.kind] = f"s3://{bucket}/{root}{entry.filename}"
    good_uris = []
    for filename, (prefix, count) in GOOD_FILES.items():
        pipeline.land(root + filename, jsonl(generate_orders(count, seed=5, start_date=DAY, id_prefix=prefix)))
        good_uris.append(f"s3://{bucket}/{root}{filename}")

    outcome = pipeline.tick()
    assert outcome.partitions == [PARTITION]
    assert not outcome.failed_runs, [r.all_events for r in outcome.failed_runs]

    # every good record loaded, once, and nothing else
    expected = sum(e.good_records for e in CORPUS) + sum(count for _, count in GOOD_FILES.values())
    assert pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0] == (expected, expected)
    per_prefix = dict(pipeline.query(
        "SELECT split_part(order_id, '-', 1) AS p, COUNT(*) FROM \"orders\" GROUP BY p"))
    for index, entry in enumerate(CORPUS):
        assert per_prefix.get(f"BAD{index:02d}", 0) == entry.good_records, entry.kind
    for prefix, count in GOOD_FILES.values():
        assert per_prefix[prefix] == count

    # whole-file rejects: the file copied to quarantine beside an .error.json naming the reason
    quarantine_root = pipeline.settings.quarantine_key("orders", PARTITION, "")
    quarantined = list_keys(s3, bucket, quarantine_root)
    reports = {}
    for key in quarantined:
        if key.endswith(".error.json"):
            report = json.loads(read(s3, bucket, key))
            reports[report["source"]] = (key, report)
    rejected = [e for e in CORPUS if e.whole_file_rejected]
    assert set(reports) == {uri_of[e.kind] for e in rejected}
    for entry in rejected:
        key, report = reports[uri_of[entry.kind]]
        assert entry.reason_contains in report["error"].replace(entry.filename, "").lower(), (entry.kind, report)
        copy_key = key[: -len(".error.json")]
        assert copy_key in quarantined, entry.kind
        assert read(s3, bucket, copy_key) == entry.content, entry.kind

    # per-record rejects: each in a .rejects.jsonl under quarantine, with its reason
    rejects: dict[str, list[dict]] = {}
    for key in quarantined:
        if key.endswith(".rejects.jsonl"):
            for line in read(s3, bucket, key).splitlines():
                if line.strip():
                    reject = json.loads(line)
                    rejects.setdefault(reject["source"], []).append(reject)
    partial = [e for e in CORPUS if not e.whole_file_rejected and e.bad_records]
    # a file rejected for too many bad records also keeps the record rejects that condemned it
    assert set(rejects) - {uri_of[e.kind] for e in partial} <= {uri_of[e.kind] for e in rejected}
    assert set(rejects) >= {uri_of[e.kind] for e in partial}
    for entry in partial:
        found = rejects[uri_of[entry.kind]]
        assert len(found) == entry.bad_records, (entry.kind, found)
        for reject in found:
            text = f"{reject.get('field') or ''} {reject['reason']}".lower()
            assert entry.reason_contains in text, (entry.kind, reject)
            assert reject["raw"] is not None, entry.kind

    # the ledger: one row per file version, quarantined files marked with their error
    ledger = pipeline.query('SELECT key, etag, status, error FROM "file_ledger"')
    by_key = {f"s3://{bucket}/{key}": (status, error) for key, _, status, error in ledger}
    assert len(ledger) == len(by_key) == len(CORPUS) + len(GOOD_FILES)
    assert set(by_key) == set(uri_of.values()) | set(good_uris)
    for entry in CORPUS:
        status, error = by_key[uri_of[entry.kind]]
        if entry.whole_file_rejected:
            assert status == "quarantined", entry.kind
            assert entry.reason_contains in (error or "").replace(entry.filename, "").lower(), (entry.kind, error)
        else:
            assert status == "loaded", (entry.kind, status, error)
    assert all(by_key[uri][0] == "loaded" for uri in good_uris)

    # notifications: one file_quarantined per quarantined file, one records_rejected per partial file,
    # one partition_loaded for the partition
    assert_notifications(pipeline, CORPUS, uri_of, good_uris, expected)

    # nothing new on the next tick, and re-materializing the partition announces and loads nothing again
    assert pipeline.tick().runs == []
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    assert job.execute_in_process(instance=pipeline.instance, partition_key=PARTITION).success
    assert pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0] == expected
    assert pipeline.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == len(ledger)
    assert pipeline.notifications() == []


def assert_notifications(pipeline, corpus: list[BadInput], uri_of: dict[str, str], good_uris: list[str],
                         expected_rows: int) -> None:
    messages = pipeline.notifications()
    by_type: dict[str, list[dict]] = {}
    for message in messages:
        by_type.setdefault(message["event_type"], []).append(message)
        assert message["_attributes"]["event_type"]["Value"] == message["event_type"]
    assert set(by_type) <= {"file_quarantined", "records_rejected", "partition_loaded"}, sorted(by_type)

    quarantined = [m["file"] for m in by_type.get("file_quarantined", [])]
    rejected = [e for e in corpus if e.whole_file_rejected]
    assert sorted(quarantined) == sorted(uri_of[e.kind] for e in rejected)  # exactly one each
    for message in by_type["file_quarantined"]:
        assert message["partition"] == PARTITION and message["dataset"] == "orders"
        assert message["quarantined_to"].startswith(f"s3://{pipeline.settings.bucket}/quarantine/orders/dt=")
        assert message["reason"]

    partial = {uri_of[e.kind]: e.bad_records for e in corpus if not e.whole_file_rejected and e.bad_records}
    announced = {m["file"]: m["rejected_records"] for m in by_type.get("records_rejected", [])}
    assert len(by_type.get("records_rejected", [])) == len(announced)
    assert announced == partial

    (loaded,) = by_type["partition_loaded"]
    assert loaded["partition"] == PARTITION and loaded["asset"] == "warehouse/orders"
    assert loaded["rows_inserted"] == expected_rows and loaded["rows_updated"] == 0
    assert loaded["files_dead_lettered"] == 0
    assert sorted(loaded["files"]) == sorted([uri_of[e.kind] for e in corpus if not e.whole_file_rejected]
                                             + good_uris)
