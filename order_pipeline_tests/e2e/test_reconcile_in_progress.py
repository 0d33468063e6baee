"""The reconcile sensor and a date whose run goes on across several reconciles: no alarm, no second run.

(Issue 25, item 14: the reconcile counted a date's missed reconciles before leaving out dates with a run in
progress, so a long load got a `files_unloaded` notice "still not loaded" although its run was about to load it.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import orjson

from order_pipeline.components.keys import job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_generator import generate_orders

DAY = datetime.now(timezone.utc).date() - timedelta(days=2)


def test_a_date_loading_across_reconciles_raises_no_alarm_and_is_taken_again_when_its_run_dies(pipeline):
    orders = list(generate_orders(20, seed=5, start_date=DAY, id_prefix="LONG"))
    pipeline.land(
        f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/orders.jsonl",
        b"".join(orjson.dumps(o) + b"\n" for o in orders),
    )
    job = pipeline.defs().resolve_job_def(job_name(ORDERS))
    loading = pipeline.instance.create_run_for_job(  # the date's run, started and going on (a long load)
        job, status=dg.DagsterRunStatus.STARTED, tags={"dagster/partition": DAY.isoformat()}
    )

    reconciles = [pipeline.reconcile() for _ in range(4)]  # one more than the misses after which files are reported
    assert [n for n in pipeline.notifications() if n["event_type"] == "files_unloaded"] == []
    for outcome in reconciles:
        assert outcome.requests == [], outcome.partitions
        assert outcome.skip_reason.startswith("1 dates with unloaded files, each being loaded by a run in progress")
        assert "1 more dates being loaded by a run in progress" in outcome.skip_reason

    # the run dies without loading: the next reconcile requests the date, and its run loads it
    pipeline.instance.report_run_failed(pipeline.instance.get_run_by_id(loading.run_id))
    outcome = pipeline.reconcile()
    assert outcome.partitions == [DAY.isoformat()] and not outcome.failed_runs
    assert pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0] == len({o["order_id"] for o in orders})
    assert pipeline.reconcile().requests == []
    assert [n for n in pipeline.notifications() if n["event_type"] == "files_unloaded"] == []
