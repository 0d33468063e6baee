from datetime import date, datetime, timezone

from order_pipeline.landing import FileVersion, date_in_key, date_prefixes, is_hidden, partition_of

LATE_EVENING = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)


def test_partition_from_slash_date_in_key():
    assert partition_of("landing/orders/2026/11/19/a.jsonl", LATE_EVENING) == "2026-11-19"


def test_partition_from_dt_folder():
    assert partition_of("landing/orders/dt=2026-11-18/x.parquet", LATE_EVENING) == "2026-11-18"


def test_partition_falls_back_to_last_modified_in_utc():
    plus_two = datetime.fromisoformat("2026-11-21T01:00:00+02:00")  # 2026-11-20 23:00 UTC
    assert partition_of("landing/orders/upload.json", plus_two) == "2026-11-20"


def test_invalid_date_in_key_is_ignored():
    assert date_in_key("landing/orders/2026/13/45/a.json") is None


def test_date_prefixes_cover_both_layouts():
    assert date_prefixes("landing/orders", date(2026, 1, 2)) == (
        "landing/orders/2026/01/02/",
        "landing/orders/dt=2026-01-02/",
    )


def test_hidden_and_folder_markers():
    assert is_hidden("landing/orders/2026/01/02/")
    assert is_hidden("landing/orders/.tmp-upload")
    assert not is_hidden("landing/orders/2026/01/02/orders-1.jsonl")


def test_file_version_identity_changes_with_etag():
    first = FileVersion("b", "k", "e1", 1, LATE_EVENING)
    second = FileVersion("b", "k", "e2", 1, LATE_EVENING)
    assert first.version_id == "k@e1" and first.uri == "s3://b/k"
    assert first.short_id != second.short_id
