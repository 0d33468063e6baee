"""Orders flow end to end through the real sensor and real runs against the local endpoint (DuckDB default)."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
import pytest

from order_pipeline.commands.generate import GenerateOptions, generated_files
from order_pipeline.datasets.orders_generator import parse_ts
from order_pipeline_tests.support.oracles import latest_versions
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import (
    OPTIONS,
    TODAY,
    assert_matches,
    decode,
    land_generated,
    warehouse_orders,
)


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path, warehouse_env):
    """This module's scenarios run on each warehouse the run covers."""
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=warehouse_env) as running:
        yield running


def test_sensor_runs_load_latest_versions_items_and_summary(pipeline):
    files = land_generated(pipeline, OPTIONS)
    records = [r for content in files.values() for r in decode(content)]
    assert len(latest_versions(records)) == OPTIONS.count

    first = pipeline.tick()
    partitions = sorted({"-".join(key.split("/")[2:5]) for key in files})
    assert sorted(first.partitions) == partitions
    assert first.runs and not first.failed_runs
    assert_matches(pipeline, records)
    # (the raw asset's event per landed file, and the skip reason of a tick with nothing new, are the single
    # objects' own: wiring/test_partition_assets.py and wiring/test_landing_sensor.py)

    second = pipeline.tick()
    assert second.runs == []

    # the same files landing again (same content, same ETag) load nothing new
    for key, content in files.items():
        pipeline.land(key, content)
    assert pipeline.tick().runs == []
    assert_matches(pipeline, records)


def test_reupload_with_changed_orders_upserts_them(pipeline):
    files = land_generated(pipeline, OPTIONS)
    pipeline.tick()
    key, content = sorted(files.items())[0]
    original = decode(content)
    changed = []
    for record in original[:5]:
        newer = dict(
            record,
            status="cancelled",
            updated_at=(parse_ts(record["updated_at"]) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )
        changed.append(newer)
    pipeline.land(key, b"".join(orjson.dumps(r) + b"\n" for r in changed + original[5:]))

    outcome = pipeline.tick()
    assert len(outcome.runs) == 1 and not outcome.failed_runs
    records = [r for content in files.values() for r in decode(content)] + changed
    assert_matches(pipeline, records)
    count, distinct = pipeline.query('SELECT COUNT(*), COUNT(DISTINCT order_id) FROM "orders"')[0]
    assert count == distinct == OPTIONS.count
    for record in changed:
        status, updated_at, _ = warehouse_orders(pipeline)[record["order_id"]]
        if latest_versions(records)[record["order_id"]] is record:
            assert status == "cancelled" and updated_at == parse_ts(record["updated_at"])


def test_late_file_for_an_older_date_within_the_lookback_is_loaded(pipeline):
    land_generated(pipeline, OPTIONS)
    pipeline.tick()
    late_day: date = TODAY - timedelta(days=2)
    late = GenerateOptions(
        count=7, days=1, files_per_day=1, seed=99, update_share=0.0, start_date=late_day, id_prefix="LATE"
    )
    files = generated_files(late, pipeline.settings.landing_root("orders").rstrip("/"))
    ((key, content),) = files.items()
    pipeline.land(key.replace("orders-1", "late-arrival"), content)
    outcome = pipeline.tick()
    assert outcome.partitions == [late_day.isoformat()]
    ids = {row[0] for row in pipeline.query("SELECT order_id FROM \"orders\" WHERE order_id LIKE 'LATE-%'")}
    assert len(ids) == 7


def test_rerun_with_a_lost_cursor_loads_nothing_twice(aws_endpoint, bucket, tmp_path, warehouse_env):
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=warehouse_env) as pipeline:
        files = land_generated(pipeline, OPTIONS)
        pipeline.tick()
        before = pipeline.query('SELECT COUNT(*) FROM "orders"')[0][0]
        ledger = pipeline.query('SELECT COUNT(*) FROM "file_ledger"')[0][0]
        assert ledger == len(files)
        pipeline.cursor = None  # the sensor forgets everything, on an instance that never saw the run keys:
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=warehouse_env) as fresh:
        outcome = fresh.tick()
        # its discovery finds every landing date, the ledger holds all their files: nothing is requested
        dates = {"-".join(key.split("/")[2:5]) for key in files}
        assert outcome.runs == [] and f"caught up {len(dates)} dates" in outcome.skip_reason
        assert "0 with unloaded files" in outcome.skip_reason
        assert fresh.query('SELECT COUNT(*) FROM "orders"')[0][0] == before
        assert fresh.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == ledger
