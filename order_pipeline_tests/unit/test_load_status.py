"""The status of one landing date from what landed and its load history (steps/load_status.py). Pure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from order_pipeline.landing import FileVersion
from order_pipeline.steps.load_status import Lag, date_status, percentile
from order_pipeline.warehouse.base import HistoryRow

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


def version(name: str, minutes_ago: float) -> FileVersion:
    return FileVersion(
        "b", f"landing/orders/2026/12/03/{name}.jsonl", f"e-{name}", 10, NOW - timedelta(minutes=minutes_ago)
    )


def row(file: FileVersion, status: str, rows: int | None, lag: float) -> HistoryRow:
    loaded = file.last_modified + timedelta(seconds=lag)
    return HistoryRow("2026-12-03", file.key, file.etag, status, rows, file.last_modified, loaded, lag, None)


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (50.0, 95.0, 100.0)
    assert percentile([7.0], 0.95) == 7.0 and percentile([], 0.5) is None
    assert Lag.of([]) == Lag(None, None, None)


def test_a_date_counts_each_landed_version_by_its_ledger_status_and_names_the_unloaded_ones():
    loaded, late, bad, dead = version("a", 90), version("b", 80), version("c", 70), version("d", 60)
    young, old = version("e", 5), version("f", 30)
    other_version = FileVersion("b", loaded.key, "older-etag", 10, NOW - timedelta(hours=5))
    history = [
        row(loaded, "loaded", 10, 60.0),
        row(late, "loaded", 5, 600.0),
        row(bad, "quarantined", None, 30.0),
        row(dead, "dead_letter", None, 90.0),
        row(other_version, "loaded", 99, 1.0),  # no longer in the bucket: not counted
    ]
    status = date_status("2026-12-03", [loaded, late, bad, dead, young, old], history, NOW, min_age_seconds=15 * 60)
    assert (status.landed, status.loaded, status.quarantined, status.dead_lettered, status.rows) == (6, 2, 1, 1, 15)
    assert status.lag == Lag(60.0, 600.0, 600.0)
    assert [(u.uri, u.age_seconds, u.overdue) for u in status.not_loaded] == [
        (young.uri, 300.0, False),
        (old.uri, 1800.0, True),
    ]
    assert status.overdue == [status.not_loaded[1]]
    assert "OVERDUE" in str(status) and "still the landing sensor's" in str(status)
