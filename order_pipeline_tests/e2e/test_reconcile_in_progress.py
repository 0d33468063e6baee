"""The reconcile sensor and a date whose run dies while the reconcile leaves the date to it: the next reconcile's
run loads it, and no alarm is raised.

(Issue 25, item 14. The sensor's own part — the date left to its run across four reconciles without a
`files_unloaded` notice, then requested once the run failed — is a wiring test:
wiring/test_reconcile_sensor.py.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import orjson

from order_pipeline.components.keys import job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders

DAY = datetime.now(timezone.utc).date() - timedelta(days=2)


def test_a_date_whose_run_dies_while_the_reconcile_leaves_it_is_loaded_by_the_next_reconcile_without_an_alarm(
    pipeline,
):
    orders = list(generate_orders(20, seed=5, start_date=DAY, id_prefix="LONG"))
    pipeline.land(
        f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/orders.jsonl",
        b"".join(orjson.dumps(o) + b"\n" for o in orders),
    )
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    loading = pipeline.instance.create_run_for_job(  # the date's run, started and going on (a long load)
        job, status=dg.DagsterRunStatus.STARTED, tags={"dagster/partition": DAY.isoformat()}
    )

    left = pipeline.reconcile()
    assert left.requests == [], left.partitions
    assert left.skip_reason.startswith("1 dates with unloaded files, each being loaded by a run in progress")

    # the run dies without loading: the next reconcile requests the date, and its run loads it
    pipeline.instance.report_run_failed(pipeline.instance.get_run_by_id(loading.run_id))
    outcome = pipeline.reconcile()
    assert outcome.partitions == [DAY.isoformat()] and not outcome.failed_runs
    assert pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0] == len({o["order_id"] for o in orders})
    assert pipeline.reconcile().requests == []
    assert [n for n in pipeline.notifications() if n["event_type"] == "files_unloaded"] == []
