"""A file whose load keeps failing is dead-lettered after the retries; the other files of its partition load,
the failure is reported once, and a replay after the fix loads the file exactly once.

The warehouse double subclasses the real DuckDB backend and changes one thing: while `marker` exists, any batch
holding a file whose key contains "poison" fails (a persistent, file-specific fault).
"""

from __future__ import annotations

import dagster as dg

from order_pipeline.commands.headless import run_sensor_tick
from order_pipeline.commands.replay import replay
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.poisoned_warehouse import poisoned_definitions
from order_pipeline_tests.support.scenarios import TODAY, counts, land_day


def tick(pipeline, defs: dg.Definitions):
    outcome = run_sensor_tick(defs, pipeline.instance, pipeline.sensor_name(), pipeline.cursor)
    pipeline.cursor = outcome.cursor
    return outcome


def test_poisoned_file_is_dead_lettered_reported_once_and_replayed_once(pipeline, tmp_path):
    marker = tmp_path / "warehouse-rejects-poison"
    marker.touch()
    defs = poisoned_definitions(marker)
    good_key, poison_key = land_day(pipeline, TODAY, "GOOD", (11,))[0], land_day(pipeline, TODAY, "poison", (7,))[0]
    assert "poison" in poison_key and "poison" not in good_key

    outcome = tick(pipeline, defs)
    assert len(outcome.runs) == 1 and outcome.runs[0].success  # the last attempt isolated the bad file
    retries = [e for e in outcome.runs[0].all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert len(retries) == 3  # the batch was retried with backoff before isolating
    assert counts(pipeline) == (11, 11, 2)
    ledger = dict(
        (
            (key, (status, error))
            for key, status, error in pipeline.query('SELECT key, status, error FROM "file_ledger"')
        )
    )
    assert ledger[good_key][0] == "loaded"
    status, error = ledger[poison_key]
    assert status == "dead_letter" and poison_key in error and "value out of range" in error
    dead = [m for m in pipeline.notifications() if m["event_type"] == "file_dead_lettered"]
    assert len(dead) == 1 and dead[0]["file"].endswith(poison_key)

    # a later run of the partition does not try the dead-lettered version again, nor report it again
    job = defs.resolve_job_def("orders_load_job")
    assert job.execute_in_process(instance=pipeline.instance, partition_key=TODAY.isoformat()).success
    assert counts(pipeline) == (11, 11, 2)
    assert not [m for m in pipeline.notifications() if m["event_type"] == "file_dead_lettered"]

    marker.unlink()  # the cause is fixed: replay the file through the normal path
    replayed = replay(pipeline.s3, pipeline.settings.layout, ORDERS, f"s3://{pipeline.settings.bucket}/{poison_key}")
    assert tick(pipeline, defs).runs[0].success
    assert counts(pipeline) == (18, 18, 3)
    replay(pipeline.s3, pipeline.settings.layout, ORDERS, f"s3://{pipeline.settings.bucket}/{poison_key}")
    assert tick(pipeline, defs).runs == []  # same content, same key and ETag: nothing new
    assert counts(pipeline) == (18, 18, 3) and replayed.endswith(".jsonl")
