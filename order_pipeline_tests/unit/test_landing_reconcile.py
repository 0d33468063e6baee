"""The reconcile's decision: landed files against the ledger, not against any cursor."""

from datetime import datetime, timedelta, timezone

from order_pipeline.landing import FileVersion
from order_pipeline.landing.cursor import ReconcileCursor
from order_pipeline.landing.reconcile import plan_reconcile

NOW = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)


def version(key: str, age_minutes: int = 60, etag: str = "e1") -> FileVersion:
    return FileVersion("bucket", key, etag, 10, NOW - timedelta(minutes=age_minutes))


def test_files_without_a_ledger_row_are_requested_young_ones_are_left_to_the_landing_sensor():
    landed = {
        "2026-11-08": [version("l/2026/11/08/late.jsonl"), version("l/2026/11/08/loaded.jsonl")],
        "2026-11-28": [version("l/2026/11/28/just-landed.jsonl", age_minutes=2)],
    }
    ledger = {"2026-11-08": {("l/2026/11/08/loaded.jsonl", "e1")}}
    plan = plan_reconcile(ReconcileCursor(), landed, ledger, NOW, min_age=timedelta(minutes=15))
    assert [(r.partition, [v.key for v in r.versions], r.trigger, r.attempt) for r in plan.requests] == [
        ("2026-11-08", ["l/2026/11/08/late.jsonl"], "reconcile", 1)
    ]
    assert plan.missing_files == 1 and set(plan.cursor.missing) == {"2026-11-08"}


def test_a_partition_missing_the_same_files_tick_after_tick_is_retried_and_reported_once():
    landed = {"2026-11-08": [version("l/2026/11/08/stuck.jsonl")]}
    cursor, keys, reported = ReconcileCursor(), [], []
    for _ in range(4):
        plan = plan_reconcile(cursor, landed, {}, NOW, min_age=timedelta(0), report_after=3)
        cursor = plan.cursor
        keys.append(plan.requests[0].run_key)
        reported.append(sorted(plan.newly_persistent))
    assert len(set(keys)) == 4  # a new run key each tick: a failed reconcile run is not a reason to stop
    assert reported == [[], [], ["2026-11-08"], []]
    # a different set of missing files starts counting again
    landed["2026-11-08"].append(version("l/2026/11/08/another.jsonl"))
    assert plan_reconcile(cursor, landed, {}, NOW, min_age=timedelta(0)).requests[0].attempt == 1


def test_a_fully_loaded_partition_leaves_the_cursor():
    cursor = ReconcileCursor(missing={"2026-11-08": ("abc", 2)})
    landed = {"2026-11-08": [version("l/2026/11/08/a.jsonl")]}
    plan = plan_reconcile(cursor, landed, {"2026-11-08": {("l/2026/11/08/a.jsonl", "e1")}}, NOW, min_age=timedelta(0))
    assert plan.requests == [] and plan.cursor.missing == {}


def test_a_date_with_a_run_in_progress_is_neither_requested_nor_counted_as_missed():
    """A load spanning several reconciles once raised 'files still not loaded': the date's missed reconciles were
    counted before the dates with a run in progress were left out. Only reconciles that requested count."""
    landed = {"2026-11-08": [version("l/2026/11/08/loading.jsonl")]}
    cursor = plan_reconcile(ReconcileCursor(), landed, {}, NOW, min_age=timedelta(0)).cursor  # requested once
    for _ in range(5):  # its run goes on across five reconciles
        plan = plan_reconcile(cursor, landed, {}, NOW, min_age=timedelta(0), report_after=3, in_progress={"2026-11-08"})
        assert plan.requests == [] and plan.newly_persistent == {} and plan.left_to_runs == ["2026-11-08"]
        cursor = plan.cursor
    assert cursor.missing["2026-11-08"][1] == 1  # still the one reconcile that requested it
    # the run ended and left the file unloaded: counting goes on from there, and reports on the third miss
    second = plan_reconcile(cursor, landed, {}, NOW, min_age=timedelta(0), report_after=3)
    assert second.requests[0].attempt == 2 and second.newly_persistent == {}
    third = plan_reconcile(second.cursor, landed, {}, NOW, min_age=timedelta(0), report_after=3)
    assert third.requests[0].attempt == 3 and list(third.newly_persistent) == ["2026-11-08"]
