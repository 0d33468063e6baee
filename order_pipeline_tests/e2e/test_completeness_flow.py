"""Lag and completeness in the UI, through the real sensors and runs: each warehouse materialization shows the lag
of the files it loaded and the date's landed vs loaded files; the completeness check fails for a date the reconcile
finds a gap in, naming the file, and passes once the reconcile's run loaded it; a lag breach fails the check and is
announced once per date (`lag_exceeded`)."""

from __future__ import annotations

import dagster as dg
import pytest

from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import TODAY, land_day

CHECK = "orders_files_loaded"
ORDERS_TABLE = dg.AssetKey(["warehouse", "orders"])


def evaluations(instance: dg.DagsterInstance) -> list[dg.AssetCheckEvaluation]:
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), ascending=True
    )
    # by time: a run's events and runless ones may be stored in different shards (storage ids not comparable)
    ordered = sorted(records, key=lambda r: r.event_log_entry.timestamp)
    found = [r.event_log_entry.dagster_event.event_specific_data for r in ordered]
    return [e for e in found if e.check_name == CHECK]


def materialization(run: dg.ExecuteInProcessResult) -> dict:
    (event,) = [m for m in run.get_asset_materialization_events() if m.asset_key == ORDERS_TABLE]
    return {k: v.value for k, v in event.materialization.metadata.items()}


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path, request):
    env = getattr(request, "param", {})
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as running:
        yield running


def test_the_check_fails_for_a_date_with_an_unloaded_file_and_passes_after_the_reconcile(pipeline):
    day = TODAY.isoformat()
    land_day(pipeline, TODAY, "FIRST", (3,))
    (run,) = pipeline.tick().runs
    shown = materialization(run)
    assert (shown["files_landed_for_date"], shown["files_loaded_for_date"], shown["files_not_loaded_for_date"]) == (
        1,
        1,
        0,
    )
    assert 0 < shown["lag_p50_seconds"] <= shown["lag_max_seconds"] < 600
    (first,) = evaluations(pipeline.instance)
    assert first.passed and first.partition == day and first.metadata["files_landed"].value == 1

    (late_key,) = land_day(pipeline, TODAY, "SECOND", (2,))
    assert pipeline.tick(execute=False).requests  # requested, never run: as if the run had been killed
    reconciled = pipeline.reconcile()
    assert reconciled.partitions == [day] and not reconciled.failed_runs
    _, gap, after = evaluations(pipeline.instance)
    assert not gap.passed and gap.partition == day and gap.severity == dg.AssetCheckSeverity.ERROR
    assert late_key in gap.description and gap.metadata["files_missing"].value == 1
    assert after.passed and after.partition == day
    assert after.metadata["files_landed"].value == 2 and after.metadata["files_loaded"].value == 2
    shown = materialization(reconciled.runs[0])
    assert (shown["files_landed_for_date"], shown["files_loaded_for_date"]) == (2, 2)


@pytest.mark.parametrize("pipeline", [{"ORDER_PIPELINE_MAX_LAG_MINUTES": "0"}], indirect=True)
def test_a_lag_breach_fails_the_check_and_is_announced_once_per_date(pipeline):
    land_day(pipeline, TODAY, "A", (2,))
    pipeline.tick()
    land_day(pipeline, TODAY, "B", (2,))
    pipeline.tick()
    first, second = evaluations(pipeline.instance)
    for evaluation in (first, second):
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.metadata["files_late"].value == 1 and evaluation.metadata["files_missing"].value == 0
        assert "loaded later than 0 minutes after landing" in evaluation.description
    notices = [m for m in pipeline.notifications() if m["event_type"] == "lag_exceeded"]
    assert len(notices) == 1
    (notice,) = notices
    assert notice["partition"] == TODAY.isoformat() and notice["count"] == 1 and notice["max_lag_minutes"] == 0
    assert notice["files"][0]["lag_seconds"] > 0
