"""`order-pipeline status` after a local load with one quarantined file, one dead-lettered file and one file whose
run was killed: each date's counts, the unloaded file named, exit 1 until the reconcile loads it, then 0.

Real sensor, real runs, the real DuckDB file and moto endpoint; the dead letter comes from the DuckDB backend
refusing the poison file (support/poisoned_warehouse.py), the kill from a child process killed after staging.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime, timedelta, timezone

import pytest

from order_pipeline.cli import main
from order_pipeline.commands.headless import run_sensor_tick
from order_pipeline_tests.support.faults import run_killed
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.poisoned_warehouse import poisoned_definitions
from order_pipeline_tests.support.scenarios import TODAY, land_day

DAY1, DAY2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path):
    with local_pipeline(aws_endpoint, bucket, tmp_path) as running:
        yield running


def status(capsys, *arguments: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["status", *arguments])
    return code, capsys.readouterr().out


def test_status_names_the_unloaded_file_and_fails_until_the_reconcile_loads_it(pipeline, tmp_path, capsys):
    bucket, root = pipeline.settings.bucket, pipeline.settings.landing_root("orders")
    # day 2: the sensor requests a run, which is killed after staging
    (killed_key,) = land_day(pipeline, DAY2, "KILLED", (3,))
    assert [r.partition_key for r in pipeline.tick(execute=False).requests] == [DAY2.isoformat()]
    marker = tmp_path / "kill-once"
    marker.touch()
    killed = run_killed("kill_after_stage_definitions", str(marker), DAY2.isoformat(), timeout=180)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    # day 1: a good file, a broken one (quarantined) and one the warehouse keeps refusing (dead-lettered)
    (good_key,) = land_day(pipeline, DAY1, "GOOD", (4,))
    (poison_key,) = land_day(pipeline, DAY1, "poison", (2,))
    broken_key = f"{root}{DAY1:%Y/%m/%d}/broken.jsonl"
    pipeline.land(broken_key, b'{"order_id": "x-1", "status": \n')
    poison = tmp_path / "poison"
    poison.touch()
    outcome = run_sensor_tick(poisoned_definitions(poison), pipeline.instance, pipeline.sensor_name(), pipeline.cursor)
    pipeline.cursor = outcome.cursor
    assert [r.partition_key for r in outcome.requests] == [DAY1.isoformat()] and outcome.runs[0].success
    poison.unlink()

    code, text = status(capsys)
    assert code == 1
    assert f"{DAY1}: 3 landed, 1 loaded, 1 quarantined, 1 dead-lettered, 0 not loaded; 4 rows" in text
    assert f"{DAY2}: 1 landed, 0 loaded, 0 quarantined, 0 dead-lettered, 1 not loaded; 0 rows" in text
    assert f"not loaded: s3://{bucket}/{killed_key}" in text and "OVERDUE" in text
    assert "1 landed file(s) NOT LOADED" in text

    started = datetime.now(timezone.utc)
    code, out = status(capsys, "--json", "--dataset", "orders")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False and report["overdue"] == 1
    assert started - timedelta(seconds=5) <= datetime.fromisoformat(report["at"]) <= datetime.now(timezone.utc)
    (orders,) = report["datasets"]
    assert orders["dataset"] == "orders" and orders["min_age_seconds"] == 0 and orders["overdue"] == 1
    day1, day2 = orders["dates"]
    lag1 = day1.pop("lag_seconds")
    assert day1 == {
        "date": DAY1.isoformat(),
        "landed": 3,
        "loaded": 1,
        "quarantined": 1,
        "dead_lettered": 1,
        "not_loaded": [],
        "rows": 4,
    }
    assert 0 < lag1["p50"] == lag1["p95"] == lag1["max"] < 600  # one loaded file: every percentile is its lag
    (unloaded,) = day2.pop("not_loaded")
    assert day2 == {
        "date": DAY2.isoformat(),
        "landed": 1,
        "loaded": 0,
        "quarantined": 0,
        "dead_lettered": 0,
        "rows": 0,
        "lag_seconds": {"p50": None, "p95": None, "max": None},
    }
    landed_at = datetime.fromisoformat(unloaded.pop("landed_at"))
    age = unloaded.pop("age_seconds")
    assert unloaded == {"uri": f"s3://{bucket}/{killed_key}", "etag": unloaded["etag"], "overdue": True}
    assert len(unloaded["etag"]) == 32 and 0 < age < 600
    assert abs((datetime.fromisoformat(report["at"]) - landed_at).total_seconds() - age) < 1.5
    assert good_key != poison_key

    reconciled = pipeline.reconcile()
    assert reconciled.partitions == [DAY2.isoformat()] and not reconciled.failed_runs
    code, out = status(capsys, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True and report["overdue"] == 0
    day2 = report["datasets"][0]["dates"][1]
    assert (day2["landed"], day2["loaded"], day2["not_loaded"], day2["rows"]) == (1, 1, [], 3)
    assert day2["lag_seconds"]["max"] > 0
    code, text = status(capsys, "--since", DAY2.isoformat())
    assert code == 0 and str(DAY1) not in text and "every landed file is accounted for" in text
