"""Long Redshift statements are not cut on the client: a MERGE that takes longer than the old 60 s socket timeout
loads on the first attempt with the default settings; a client timeout an operator configures is reported as one
and never retried (the cluster may still be running the statement it cut, holding the tables' locks).

The endpoint makes the MERGE slow on the server (a sleep in the client's own session and transaction, after its
LOCK TABLE), as a busy cluster or a big merge would.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from order_pipeline_tests.support.env import patched_environ
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.redshift_fixtures import redshift_pipeline_env
from order_pipeline_tests.support.scenarios import counts, land_day

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
MERGE = r"^\s*MERGE\b"


def _events(run, event_type: dg.DagsterEventType) -> list:
    return [e for e in run.all_events if e.event_type == event_type]


@pytest.mark.slow
def test_a_merge_longer_than_the_old_60_second_timeout_loads_on_the_first_attempt(
    aws_endpoint, bucket, tmp_path, redshift_endpoint
):
    env = redshift_pipeline_env(redshift_endpoint, bucket.replace("-", "_"))
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as pipeline:
        land_day(pipeline, DAY, "LONG", (4, 3))
        with redshift_endpoint.slowed(MERGE, 70), redshift_endpoint.recording() as sent:
            outcome = pipeline.tick()
        (run,) = outcome.runs
        assert run.success
        assert _events(run, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
        assert len([sql for sql in sent if sql.lstrip().upper().startswith("MERGE")]) == 1  # the first try did it
        assert counts(pipeline) == (7, 7, 2)


def test_a_configured_client_timeout_is_reported_as_such_and_not_retried(
    aws_endpoint, bucket, tmp_path, redshift_endpoint
):
    env = {**redshift_pipeline_env(redshift_endpoint, bucket.replace("-", "_")), "ORDER_PIPELINE_REDSHIFT_TIMEOUT": "2"}
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as pipeline:
        land_day(pipeline, DAY, "CUT", (4, 3))
        with redshift_endpoint.slowed(MERGE, 6), redshift_endpoint.recording() as sent:
            outcome = pipeline.tick()
        (run,) = outcome.runs
        assert not run.success
        assert _events(run, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []  # neither Dagster's retry policy ...
        assert len([sql for sql in sent if sql.lstrip().upper().startswith("MERGE")]) == 1  # ... nor the backend's
        (failure,) = _events(run, dg.DagsterEventType.STEP_FAILURE)
        message = failure.event_specific_data.error.to_string()
        assert "client socket timeout (ORDER_PIPELINE_REDSHIFT_TIMEOUT=2 s)" in message
        assert "not retried" in message and "MERGE INTO" in message

        # the operator's fix, as the message says: no client timeout (a query now waits for the abandoned MERGE's
        # locks instead of being cut too); the next run loads the date
        fixed = {"ORDER_PIPELINE_REDSHIFT_TIMEOUT": None, "ORDER_PIPELINE_REDSHIFT_STATEMENT_TIMEOUT_SECONDS": "600"}
        with patched_environ(fixed):
            assert counts(pipeline) == (0, 0, 0)  # the cut load was rolled back
            assert not pipeline.reconcile().failed_runs
            assert counts(pipeline) == (7, 7, 2)
