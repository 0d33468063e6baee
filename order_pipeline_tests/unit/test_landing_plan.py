"""The landing sensor's decisions, without S3 or Dagster."""

from datetime import date, datetime, timezone

from order_pipeline.landing import FileVersion
from order_pipeline.landing.plan import (
    PartitionRequest,
    discovered_backlog,
    group_by_partition,
    listing_changes,
    merge_requests,
    not_in_ledger,
    scan_window,
    split_backlog,
)

TODAY = date(2026, 11, 26)
FIRST = date(2024, 1, 1)


def version(key: str, etag: str = "e1", modified: datetime | None = None) -> FileVersion:
    return FileVersion("bucket", key, etag, 10, modified or datetime(2026, 11, 26, 12, tzinfo=timezone.utc))


def test_window_without_cursor_is_lookback_to_today():
    assert scan_window(None, TODAY, 2, FIRST) == [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]


def test_window_starts_at_the_last_covered_date_minus_lookback_and_never_before_the_first_partition():
    window = scan_window("2026-11-20", TODAY, 1, FIRST)
    assert window[0] == date(2026, 11, 19) and window[-1] == TODAY
    assert scan_window(None, date(2024, 1, 2), 5, FIRST)[0] == FIRST


def test_files_are_grouped_by_landing_date_undated_ones_by_last_modified():
    grouped = group_by_partition(
        [
            version("l/2026/11/25/a.jsonl"),
            version("l/dt=2026-11-26/b.parquet"),
            version("l/top.jsonl", modified=datetime(2026, 11, 20, 23, tzinfo=timezone.utc)),
        ]
    )
    assert {p: [v.key for v in vs] for p, vs in grouped.items()} == {
        "2026-11-20": ["l/top.jsonl"],
        "2026-11-25": ["l/2026/11/25/a.jsonl"],
        "2026-11-26": ["l/dt=2026-11-26/b.parquet"],
    }


def test_a_date_is_requested_when_its_files_change_and_only_window_dates_are_remembered():
    window = [date(2026, 11, 25), TODAY]
    grouped = group_by_partition(
        [version("l/2026/11/25/a.jsonl"), version("l/2026/11/26/b.jsonl"), version("l/2026/11/01/old.jsonl")]
    )
    changed, digests = listing_changes({}, grouped, window)
    assert [r.partition for r in changed] == ["2026-11-25", "2026-11-26"]
    assert set(digests) == {"2026-11-25", "2026-11-26"}  # the cursor is bounded by the window, not the bucket
    again, _ = listing_changes(digests, grouped, window)
    assert again == []
    rewritten = group_by_partition([version("l/2026/11/25/a.jsonl", "e2"), version("l/2026/11/26/b.jsonl")])
    changed, _ = listing_changes(digests, rewritten, window)
    assert [(r.partition, [v.etag for v in r.versions]) for r in changed] == [("2026-11-25", ["e2"])]


def test_run_key_is_deterministic_content_sensitive_and_counts_reconcile_attempts():
    files = (version("a"), version("b"))
    key = PartitionRequest("2026-11-26", files, "listing").run_key
    assert key == PartitionRequest("2026-11-26", tuple(reversed(files)), "event").run_key
    assert key != PartitionRequest("2026-11-26", (version("a"), version("b", "e2")), "listing").run_key
    assert key.startswith("2026-11-26:")
    retried = PartitionRequest("2026-11-26", files, "reconcile", attempt=2).run_key
    assert retried == f"{key}:r2" != PartitionRequest("2026-11-26", files, "reconcile", attempt=3).run_key


def test_requests_for_one_partition_merge_into_one():
    merged = merge_requests(
        [
            PartitionRequest("2026-11-26", (version("a"),), "event"),
            PartitionRequest("2026-11-25", (version("c"),), "backlog"),
            PartitionRequest("2026-11-26", (version("a"), version("b")), "backlog"),
        ]
    )
    assert [(r.partition, sorted(v.key for v in r.versions), r.trigger) for r in merged] == [
        ("2026-11-25", ["c"], "backlog"),
        ("2026-11-26", ["a", "b"], "event+backlog"),
    ]


def test_backlog_is_every_discovered_date_in_range_newest_first_taken_a_slice_a_tick():
    backlog = discovered_backlog(["2023-12-31", "2024-01-05", "2026-11-20", "2026-11-26", "2026-12-01"], FIRST, TODAY)
    assert backlog == ("2026-11-26", "2026-11-20", "2024-01-05")
    batch, rest = split_backlog(backlog, 2)
    assert batch == ["2026-11-26", "2026-11-20"] and rest == ("2024-01-05",)


def test_a_file_version_is_unloaded_until_the_ledger_holds_it_whatever_its_status():
    files = [version("a"), version("b"), version("b2", "e2")]
    assert [v.key for v in not_in_ledger(files, {("a", "e1"), ("b2", "e1")})] == ["b", "b2"]
