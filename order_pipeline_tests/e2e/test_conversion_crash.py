"""A file that kills the run process mid-conversion (as running out of memory would): after three attempts
it is quarantined with the attempts named, and the other files of its date load, through the real sensor.

The S3 test double subclasses the real S3Resource and changes one thing: its client SIGKILLs the process when
the lake step uploads the poison file's canonical Parquet (converted, not yet recorded), every time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest
from dagster_aws.s3 import S3Resource

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import build_resources
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.layout import safe_name
from order_pipeline_tests.support.pipeline_harness import local_pipeline

pytestmark = pytest.mark.e2e
DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
REPO = Path(__file__).resolve().parents[2]


class KillingS3Resource(S3Resource):
    """The real S3 resource, whose client kills its process when the lake Parquet of `victim` is put."""

    victim: str

    def get_client(self) -> Any:
        client = super().get_client()

        def kill(params: dict, **_: Any) -> None:
            key = params.get("Key", "")
            if key.startswith("lake/") and self.victim in key and key.endswith(".parquet"):
                os.kill(os.getpid(), signal.SIGKILL)

        client.meta.events.register("provide-client-params.s3.PutObject", kill)
        return client


def killing_definitions(victim: str) -> dg.Definitions:
    settings = load_settings()
    resources = build_resources(settings)
    resources["s3"] = KillingS3Resource(region_name=settings.region, victim=victim)
    return build_definitions(settings, resources=resources)


KILLED_RUN = textwrap.dedent("""
    import sys
    import dagster as dg
    from order_pipeline.components.keys import job_name
    from order_pipeline.datasets.orders import ORDERS
    from order_pipeline_tests.e2e.test_conversion_crash import killing_definitions

    defs = killing_definitions(sys.argv[1])
    with dg.instance_for_test() as instance:
        defs.resolve_job_def(job_name(ORDERS)).execute_in_process(instance=instance, partition_key=sys.argv[2])
    print("the run finished: it should have been killed")
""")


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path):
    with local_pipeline(aws_endpoint, bucket, tmp_path) as running:
        yield running


def test_a_file_that_kills_the_process_is_quarantined_after_three_attempts(pipeline) -> None:
    root = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/"
    sizes = {"a-before.jsonl": 6, "killer.jsonl": 5, "z-after.jsonl": 7}
    for name, size in sizes.items():
        orders = generate_orders(size, seed=size, start_date=DAY, id_prefix=name[0].upper() + "CRASH")
        pipeline.land(root + name, b"".join(orjson.dumps(o) + b"\n" for o in orders))
    (killer,) = [v for v in list_landing_day(pipeline.s3, pipeline.settings.bucket,
                                             pipeline.settings.landing_root("orders"), DAY)
                 if v.key.endswith("/killer.jsonl")]
    attempts = pipeline.settings.layout.attempts_key(ORDERS.name, DAY.isoformat(), killer)

    for attempt in (1, 2, 3):
        killed = subprocess.run([sys.executable, "-c", KILLED_RUN, safe_name(killer), DAY.isoformat()], cwd=REPO,
                                env=dict(os.environ), capture_output=True, text=True, timeout=180)
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        stored = json.loads(pipeline.s3.get_object(Bucket=pipeline.settings.bucket, Key=attempts)["Body"].read())
        assert stored["attempts"] == attempt and stored["source"] == killer.uri

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
    report = json.loads(pipeline.s3.get_object(Bucket=pipeline.settings.bucket,
                                               Key=copy_key + ".error.json")["Body"].read())
    assert report["attempts"] == 3 and reason in report["error"]
    assert pipeline.tick().runs == []
