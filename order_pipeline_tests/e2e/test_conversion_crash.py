"""A file that kills the run process mid-conversion (as running out of memory would): after three attempts
it is quarantined with the attempts named (the first charged by the step's crash guard, the next two by the file's
own), and the other files of its date load, through the real sensor.

The S3 test double subclasses the real S3Resource and changes one thing: its client SIGKILLs the process when
the lake step uploads the poison file's canonical Parquet (converted, not yet recorded), every time.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.layout import safe_name
from order_pipeline.steps.lake.step_attempt import STEP_ATTEMPT_PREFIX
from order_pipeline_tests.support.faults import run_killed

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
REPO = Path(__file__).resolve().parents[2]


def test_a_file_that_kills_the_process_is_quarantined_after_three_attempts(pipeline) -> None:
    root = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/"
    sizes = {"a-before.jsonl": 6, "killer.jsonl": 5, "z-after.jsonl": 7}
    for name, size in sizes.items():
        orders = generate_orders(size, seed=size, start_date=DAY, id_prefix=name[0].upper() + "CRASH")
        pipeline.land(root + name, b"".join(orjson.dumps(o) + b"\n" for o in orders))
    (killer,) = [
        v
        for v in list_landing_day(pipeline.s3, pipeline.settings.bucket, pipeline.settings.landing_root("orders"), DAY)
        if v.key.endswith("/killer.jsonl")
    ]
    attempts = pipeline.settings.layout.attempts_key(ORDERS.name, DAY.isoformat(), killer)

    def stored(key: str) -> dict:
        return json.loads(pipeline.s3.get_object(Bucket=pipeline.settings.bucket, Key=key)["Body"].read())

    for attempt in (1, 2, 3):
        killed = run_killed("killing_definitions", safe_name(killer), DAY.isoformat())
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        if attempt == 1:  # the step's own crash guard names the files it was converting; the next step charges them
            folder = pipeline.settings.layout.conversions_folder(ORDERS.name, DAY.isoformat())
            listed = pipeline.s3.list_objects_v2(Bucket=pipeline.settings.bucket, Prefix=folder + STEP_ATTEMPT_PREFIX)
            (step_key,) = [o["Key"] for o in listed["Contents"]]  # one per step attempt, named by its run
            assert killer.version_id in stored(step_key)["versions"]
        else:  # then the killer is converted alone, guarded by its attempts record
            assert stored(attempts)["attempts"] == attempt and stored(attempts)["source"] == killer.uri

    outcome = pipeline.tick()  # the normal definitions now: nothing kills, the guard must decide

    (run,) = outcome.runs
    assert run.success
    loaded = dict(pipeline.query("SELECT split_part(order_id, '-', 1) AS f, COUNT(*) FROM \"orders\" GROUP BY f"))
    assert loaded == {"ACRASH": 6, "ZCRASH": 7}
    rows = pipeline.query('SELECT key, status, error FROM "file_ledger"')
    ledger = {key.rsplit("/", 1)[-1]: (status, error) for key, status, error in rows}
    reason = "conversion did not complete in 3 attempts (process killed or out of memory?)"
    assert ledger["killer.jsonl"][0] == "quarantined" and reason in ledger["killer.jsonl"][1]
    assert ledger["a-before.jsonl"] == ledger["z-after.jsonl"] == ("loaded", None)
    (message,) = [m for m in pipeline.notifications() if m["event_type"] == "file_quarantined"]
    assert message["file"] == killer.uri and reason in message["reason"]
    copy_key = message["quarantined_to"].split(f"{pipeline.settings.bucket}/", 1)[1]
    report = json.loads(
        pipeline.s3.get_object(Bucket=pipeline.settings.bucket, Key=copy_key + ".error.json")["Body"].read()
    )
    assert report["attempts"] == 3 and reason in report["error"]
    assert pipeline.tick().runs == []
