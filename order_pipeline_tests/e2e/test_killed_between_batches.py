"""A run killed between two load batches of a big date (issue 19, item 4): the batches that committed stay
committed with their ledger rows, and the rerun loads only the rest, nothing duplicated or lost.

The warehouse double is the real DuckDB backend killing its process after staging its second batch (support/faults).
"""

from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone

from order_pipeline_tests.support.faults import run_killed
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import counts, land_day

BATCH = 2  # ORDER_PIPELINE_MAX_FILES_PER_BATCH
SIZES = (4, 5, 6, 7, 8, 9)  # orders per landing file


def test_a_run_killed_between_batches_keeps_the_committed_batch_and_the_rerun_loads_only_the_rest(
    aws_endpoint, bucket, tmp_path
):
    env = {"ORDER_PIPELINE_MAX_FILES_PER_BATCH": str(BATCH), "ORDER_PIPELINE_SENSOR_MODE": "listing"}
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as pipeline:
        day = datetime.now(timezone.utc).date() - timedelta(days=1)
        keys = land_day(pipeline, day, "BIG", SIZES)
        orders_in = dict(zip(keys, SIZES, strict=True))
        marker = tmp_path / "kill-once"
        marker.touch()

        killed = run_killed("kill_in_second_batch_definitions", str(marker), day.isoformat(), timeout=180)
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        assert not marker.exists()

        # the first batch committed before the kill: its files, their rows and their ledger rows stay
        committed = pipeline.query('SELECT key, status, loaded_at, run_id FROM "file_ledger" ORDER BY key')
        assert len(committed) == BATCH and {row[1] for row in committed} == {"loaded"}
        first = {row[0] for row in committed}
        assert first < set(keys)
        assert counts(pipeline) == (sum(orders_in[k] for k in first),) * 2 + (BATCH,)

        outcome = pipeline.tick()
        assert outcome.partitions == [day.isoformat()] and not outcome.failed_runs
        # the rerun loaded only the rest: every file once, every order once, the first batch's ledger rows untouched
        assert counts(pipeline) == (sum(SIZES), sum(SIZES), len(keys))
        ledger = pipeline.query('SELECT key, status, loaded_at, run_id FROM "file_ledger" ORDER BY key')
        assert [row[0] for row in ledger] == sorted(keys)
        assert [row for row in ledger if row[0] in first] == committed
        assert {row[3] for row in ledger if row[0] not in first} == {outcome.runs[0].run_id}
        items = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT (order_id, line_number)) FROM "order_items"')[0]
        assert items[0] == items[1] > 0
        assert pipeline.tick().runs == []
