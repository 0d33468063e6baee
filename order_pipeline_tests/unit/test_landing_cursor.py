"""The sensors' cursors: small JSON documents whose size follows dates, never files."""

from datetime import date, timedelta

from order_pipeline.landing.cursor import LandingCursor, ReconcileCursor


def test_landing_cursor_round_trips():
    cursor = LandingCursor(
        discovered=True,
        backlog=("2026-11-02", "2026-11-01"),
        through="2026-11-26",
        digests={"2026-11-26": "abc"},
        pending_acks="lake/_sensors/q/abc.json",
    )
    assert LandingCursor.from_json(cursor.to_json()) == cursor
    assert LandingCursor.from_json(None) == LandingCursor()


def test_an_older_cursor_starts_over_with_discovery():
    old = '{"v": 1, "through": "2026-11-20", "seen": {"landing/orders/2026/11/20/a.jsonl": "e1"}}'
    upgraded = LandingCursor.from_json(old)
    assert not upgraded.discovered and upgraded.through == "2026-11-20" and upgraded.digests == {}


def test_listing_cursor_stays_small_whatever_the_file_count():
    # a 4-day window and three years of backlog: the cursor holds dates and digests, never keys
    days = [date(2026, 11, 26) - timedelta(days=n) for n in range(3 * 365)]
    cursor = LandingCursor(
        discovered=True,
        backlog=tuple(d.isoformat() for d in days),
        through="2026-11-26",
        digests={d.isoformat(): "0123456789abcdef" for d in days[:4]},
    )
    assert len(cursor.to_json()) < 64 * 1024


def test_reconcile_cursor_round_trips():
    cursor = ReconcileCursor(missing={"2026-11-20": ("abc", 2)})
    assert ReconcileCursor.from_json(cursor.to_json()) == cursor
    assert ReconcileCursor.from_json(None) == ReconcileCursor()
