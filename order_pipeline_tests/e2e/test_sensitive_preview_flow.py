"""Issue 20 item 6, through the real sensor and run, with ORDER_PIPELINE_NOTIFY_RAW_PREVIEW=true: the
records_rejected notification previews each shown reject's raw record, and the value of a column declared
`sensitive` appears in no notification, reason, check metadata or run event, preview included."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import orjson

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline_tests.support.pipeline_harness import local_pipeline

TODAY = datetime.now(timezone.utc).date()
SECRET = "not-an-address-zelda.quixote"

CONTACTS = Dataset(
    name="contacts",
    merge_key=("contact_id",),
    event_time_column="at",
    version_column="version",
    owners=("team:crm",),
    columns=(
        Column("contact_id", "int64", nullable=False),
        Column("at", "timestamp", nullable=False),
        Column("version", "int64", nullable=False),
        Column("email", "string", max_bytes=128, pattern=r"[^@]+@[^@]+", sensitive=True),
        Column("kind", "string", max_bytes=16),
    ),
)


def _contact(number: int, **values) -> dict:
    return {"contact_id": number, "at": "2026-11-20T08:00:00Z", "version": 1, "kind": "lead", **values}


def test_the_opt_in_raw_preview_masks_the_sensitive_value(aws_endpoint, bucket, tmp_path) -> None:
    env = {"ORDER_PIPELINE_NOTIFY_RAW_PREVIEW": "true"}
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(CONTACTS,), extra_env=env) as pipeline:
        good, bad = _contact(1, email="a@example.invalid"), _contact(2, email=SECRET, kind="visible-kind")
        name = f"{pipeline.settings.landing_root('contacts')}{TODAY:%Y/%m/%d}/contacts.jsonl"
        pipeline.land(name, b"".join(orjson.dumps(r) + b"\n" for r in (good, bad)))

        outcome = pipeline.tick(CONTACTS)

        assert not outcome.failed_runs
        messages = pipeline.notifications()
        (rejected,) = [m for m in messages if m["event_type"] == "records_rejected"]
        (shown,) = rejected["first_rejects"]
        assert shown["field"] == "email" and "masked: sensitive column" in shown["reason"]
        preview = orjson.loads(shown["raw_preview"])
        assert preview["kind"] == "visible-kind" and preview["email"] == "(masked: sensitive)"
        said = json.dumps(messages) + "".join(repr(e) for run in outcome.runs for e in run.all_events)
        assert SECRET not in said
