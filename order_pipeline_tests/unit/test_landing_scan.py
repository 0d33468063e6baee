from datetime import date, datetime, timezone

from order_pipeline.landing import FileVersion
from order_pipeline.landing_scan import ScanCursor, plan_scan, run_key_for, scan_window

TODAY = date(2026, 11, 26)
FIRST = date(2024, 1, 1)


def version(key: str, etag: str = "e1") -> FileVersion:
    return FileVersion("bucket", key, etag, 10, datetime(2026, 11, 26, 12, tzinfo=timezone.utc))


def test_window_without_cursor_is_lookback_to_today():
    window = scan_window(ScanCursor(), TODAY, 2, FIRST)
    assert window == [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]


def test_window_starts_at_cursor_date_minus_lookback():
    window = scan_window(ScanCursor(through=date(2026, 11, 20)), TODAY, 1, FIRST)
    assert window[0] == date(2026, 11, 19) and window[-1] == TODAY


def test_window_never_starts_before_first_partition():
    assert scan_window(ScanCursor(), date(2024, 1, 2), 5, FIRST)[0] == FIRST


def test_new_files_grouped_by_partition_and_cursor_advances():
    window = scan_window(ScanCursor(), TODAY, 2, FIRST)
    listed = [version("l/orders/2026/11/25/a.jsonl"), version("l/orders/2026/11/26/b.jsonl"),
              version("l/orders/dt=2026-11-26/c.parquet")]
    plan = plan_scan(ScanCursor(), listed, window)
    assert sorted(plan.new_by_partition) == ["2026-11-25", "2026-11-26"]
    assert len(plan.new_by_partition["2026-11-26"]) == 2
    assert plan.cursor.through == TODAY
    assert set(plan.cursor.seen) == {v.key for v in listed}


def test_seen_files_are_not_new_but_a_rewritten_object_is():
    window = [TODAY]
    first = plan_scan(ScanCursor(), [version("l/2026/11/26/a.jsonl")], window)
    again = plan_scan(first.cursor, [version("l/2026/11/26/a.jsonl")], window)
    assert again.new_by_partition == {}
    rewritten = plan_scan(first.cursor, [version("l/2026/11/26/a.jsonl", "e2")], window)
    assert [v.etag for v in rewritten.new_by_partition["2026-11-26"]] == ["e2"]


def test_files_outside_the_window_are_ignored_and_forgotten():
    cursor = ScanCursor(through=TODAY, seen={"l/2026/11/01/old.jsonl": "e1"})
    plan = plan_scan(cursor, [version("l/2026/11/01/old.jsonl", "e9")], [TODAY])
    assert plan.new_by_partition == {}
    assert plan.cursor.seen == {}


def test_cursor_round_trips_through_json():
    cursor = ScanCursor(through=TODAY, seen={"k": "e"})
    assert ScanCursor.from_json(cursor.to_json()) == cursor
    assert ScanCursor.from_json(None) == ScanCursor()


def test_run_key_is_deterministic_and_content_sensitive():
    files = [version("a"), version("b")]
    assert run_key_for("2026-11-26", files) == run_key_for("2026-11-26", list(reversed(files)))
    assert run_key_for("2026-11-26", files) != run_key_for("2026-11-26", [version("a"), version("b", "e2")])
    assert run_key_for("2026-11-26", files).startswith("2026-11-26:")
