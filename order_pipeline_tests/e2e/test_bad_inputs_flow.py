"""The whole bad-input corpus landing next to good files in one partition, through the real sensor and run.

Every good record loads, every unreadable file is copied to quarantine with an error report, every rejected
record is kept in a rejects file with its reason, a hidden zero-byte marker is recorded as ignored, the ledger
holds one row per file, and each quarantined file is announced exactly once. The test prints a table of what
each kind was expected to give and what it gave (shown with `pytest -rA`, and in the message when it fails).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import orjson

from order_pipeline.components.keys import job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline_tests.support.bad_inputs import BadInput, build_corpus

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


@dataclass
class Observed:
    """What the pipeline did with one landed file."""

    ledger: tuple[str, str | None] | None = None  # (status, error)
    loaded: int = 0  # rows of the file's orders in the warehouse
    rejects: list[dict] | None = None  # its rejects file
    error_report: dict | None = None  # its .error.json
    copy_matches: bool = False  # the quarantined copy is the landed content
    notices: tuple[int, int] = (0, 0)  # (file_quarantined, records_rejected) messages about it
    announced_rejects: int | None = None


def expected_text(entry: BadInput) -> str:
    if entry.ignored:
        return f"ignored ({entry.reason_contains!r})"
    if entry.whole_file_rejected:
        return f"quarantined ({entry.reason_contains!r})"
    bad = f", {entry.bad_records} rejected ({entry.reason_contains!r})" if entry.bad_records else ""
    return f"{entry.good_records} loaded{bad}"


def verdict(entry: BadInput, seen: Observed) -> tuple[str, bool]:
    """(what was observed, whether it is what the entry expects)."""
    status, error = seen.ledger or ("no ledger row", None)
    cause = (error or "").replace(entry.filename, "").lower()
    if entry.ignored:
        ok = status == "quarantined" and cause.startswith("ignored: ") and entry.reason_contains in cause
        return f"{status} ({(error or '')[-60:]!r}), {sum(seen.notices)} notices", ok and seen.notices == (0, 0)
    if entry.whole_file_rejected:
        reported = (seen.error_report or {}).get("error", "").replace(entry.filename, "").lower()
        ok = (
            status == "quarantined"
            and entry.reason_contains in cause
            and entry.reason_contains in reported
            and seen.copy_matches
            and seen.loaded == 0
            and seen.notices == (1, 0)
        )
        return f"{status} ({(error or '')[-60:]!r}), copy {'ok' if seen.copy_matches else 'MISSING'}", ok
    rejects = seen.rejects or []
    reasons_ok = all(
        entry.reason_contains in f"{r.get('field') or ''} {r['reason']}".lower() and r["raw"] is not None
        for r in rejects
    )
    text = f"{seen.loaded} loaded, {len(rejects)} rejected"
    if rejects:
        text += f" ({rejects[0].get('field')}: {rejects[0]['reason'][:50]!r})"
    ok = (
        status == "loaded"
        and seen.loaded == entry.good_records
        and len(rejects) == entry.bad_records
        and reasons_ok
        and seen.notices == (0, 1 if entry.bad_records else 0)
        and seen.announced_rejects in ((entry.bad_records,) if entry.bad_records else (None,))
    )
    return text, ok


def table(rows: list[tuple[str, str, str, bool]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{'kind':<{widths[0]}}  {'expected':<{widths[1]}}  {'observed':<{widths[2]}}  ok"]
    lines += [f"{k:<{widths[0]}}  {e:<{widths[1]}}  {o:<{widths[2]}}  {'yes' if ok else 'NO'}" for k, e, o, ok in rows]
    return "\n".join(lines)


def _prefix(uri: str) -> str:
    return GOOD_FILES[uri.rsplit("/", 1)[-1]][0]


def observe(pipeline, uri_of: dict[str, str]) -> tuple[dict[str, Observed], list[dict]]:
    """What happened to each file (by URI), and the notifications sent."""
    s3, bucket = pipeline.s3, pipeline.settings.bucket
    seen = {uri: Observed() for uri in uri_of.values()}
    for key, status, error in pipeline.query('SELECT key, status, error FROM "file_ledger"'):
        seen.setdefault(f"s3://{bucket}/{key}", Observed()).ledger = (status, error)
    per_prefix = dict(pipeline.query("SELECT split_part(order_id, '-', 1) AS p, COUNT(*) FROM \"orders\" GROUP BY p"))
    for index, entry in enumerate(CORPUS):
        seen[uri_of[entry.kind]].loaded = per_prefix.get(f"BAD{index:02d}", 0)
    quarantined = list_keys(s3, bucket, pipeline.settings.layout.quarantine_folder("orders", PARTITION))
    for key in quarantined:
        if key.endswith(".error.json"):
            report = json.loads(read(s3, bucket, key))
            seen[report["source"]].error_report = report
            copy_key = key[: -len(".error.json")]
            landed = read(s3, bucket, report["source"].split(f"{bucket}/", 1)[1])
            seen[report["source"]].copy_matches = copy_key in quarantined and read(s3, bucket, copy_key) == landed
        elif key.endswith(".rejects.jsonl"):
            for line in read(s3, bucket, key).splitlines():
                reject = json.loads(line)
                found = seen[reject["source"]]
                found.rejects = [*(found.rejects or []), reject]
    messages = pipeline.notifications()
    for message in messages:
        if message["event_type"] == "file_quarantined":
            found = seen[message["file"]]
            found.notices = (found.notices[0] + 1, found.notices[1])
        elif message["event_type"] == "records_rejected":
            found = seen[message["file"]]
            found.notices = (found.notices[0], found.notices[1] + 1)
            found.announced_rejects = message["rejected_records"]
    return seen, messages


def test_corpus_mixed_with_good_files_in_one_partition(pipeline):
    root = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/"
    bucket = pipeline.settings.bucket
    assert len({entry.filename for entry in CORPUS}) == len(CORPUS) >= 60
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

    seen, messages = observe(pipeline, {**uri_of, **{uri: uri for uri in good_uris}})
    rows = [(e.kind, expected_text(e), *verdict(e, seen[uri_of[e.kind]])) for e in CORPUS]
    report = table(rows)
    print(f"\nbad-input corpus: {len(CORPUS)} kinds, expected vs observed\n{report}")
    assert all(ok for *_, ok in rows), "\n" + report

    # every good record loaded, once, and nothing else
    expected = sum(e.good_records for e in CORPUS) + sum(count for _, count in GOOD_FILES.values())
    assert pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0] == (expected, expected)
    for uri, (_, count) in zip(good_uris, GOOD_FILES.values(), strict=True):
        assert seen[uri].ledger == ("loaded", None) and not seen[uri].rejects and seen[uri].notices == (0, 0)
        assert (
            count
            == dict(pipeline.query("SELECT split_part(order_id, '-', 1) AS p, COUNT(*) FROM \"orders\" GROUP BY p"))[
                _prefix(uri)
            ]
        )
    # the ledger: one row per file version, nothing else
    assert len(pipeline.query('SELECT key FROM "file_ledger"')) == len(CORPUS) + len(GOOD_FILES)
    assert all(found.ledger is not None for found in seen.values())

    # notifications: only these kinds, and one partition_loaded naming every file that loaded rows
    by_type: dict[str, list[dict]] = {}
    for message in messages:
        by_type.setdefault(message["event_type"], []).append(message)
        assert message["_attributes"]["event_type"]["Value"] == message["event_type"]
        assert message["partition"] == PARTITION and message["dataset"] == "orders"
        assert len(json.dumps(message)) < 256 * 1024
    assert set(by_type) <= {
        "file_quarantined",
        "records_rejected",
        "partition_loaded",
        "schema_drift",
        "check_failed",
    }, sorted(by_type)
    # so many bad files fail the partition's quarantine check (once), and undeclared fields are reported once each
    (check,) = by_type["check_failed"]
    assert check["check"] == "orders_files_not_quarantined" and check["asset"] == "lake/orders_parquet"
    drifted = [f["field"] for m in by_type.get("schema_drift", []) for f in m["fields"]]
    assert len(drifted) == len(set(drifted))
    for message in by_type["file_quarantined"]:
        assert message["quarantined_to"].startswith(f"s3://{bucket}/quarantine/orders/dt=") and message["reason"]
    (loaded,) = by_type["partition_loaded"]
    assert loaded["asset"] == "warehouse/orders" and loaded["rows_inserted"] == expected
    assert loaded["rows_updated"] == 0 and loaded["files_dead_lettered"] == 0
    expected_files = [uri_of[e.kind] for e in CORPUS if not e.whole_file_rejected and not e.ignored] + good_uris
    assert loaded["files_loaded"] == len(expected_files)  # the message lists the first 50, beside the count
    assert len(loaded["files"]) == min(50, len(expected_files)) and set(loaded["files"]) <= set(expected_files)

    # nothing new on the next tick, and re-materializing the partition announces and loads nothing again
    assert pipeline.tick().runs == []
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    assert job.execute_in_process(instance=pipeline.instance, partition_key=PARTITION).success
    assert pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0] == expected
    assert pipeline.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == len(CORPUS) + len(GOOD_FILES)
    assert pipeline.notifications() == []
