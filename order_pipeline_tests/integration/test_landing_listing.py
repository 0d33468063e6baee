"""Finding landing files in S3 (moto over HTTP): paginated, every key accounted for, and a cost that follows the
number of dates — not the number of objects in the bucket."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone

from order_pipeline.aws.s3_landing import list_landing_day, list_landing_window, scan_landing_tree
from order_pipeline.aws.s3_objects import list_prefix
from order_pipeline.landing import days_between
from order_pipeline_tests.support.s3_requests import counting_s3_client

ROOT = "landing/orders/"


def _put(s3_client, bucket, keys):
    """Thousands of small PUTs wait on the endpoint's round trips: a few at a time (a boto3 client is thread-safe)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3_client.put_object(Bucket=bucket, Key=key, Body=b"{}\n"), keys))


def test_listing_paginates_past_1000_keys(s3_client, bucket):
    _put(s3_client, bucket, [f"landing/orders/2026/11/20/f{i:05d}.jsonl" for i in range(1105)])
    assert len(list(list_prefix(s3_client, bucket, "landing/orders/2026/11/20/"))) == 1105
    assert len(list_landing_day(s3_client, bucket, ROOT, date(2026, 11, 20))) == 1105


def test_window_cost_follows_dates_not_old_objects(s3_client, bucket):
    window = days_between(date(2026, 11, 20), date(2026, 11, 22))
    _put(s3_client, bucket, ["landing/orders/2026/11/21/new.jsonl"])
    client, calls = counting_s3_client()
    found = list_landing_window(client, bucket, ROOT, window)
    assert {p: [v.key for v in vs] for p, vs in found.items()} == {
        "2026-11-21": ["landing/orders/2026/11/21/new.jsonl"]
    }
    # root, year 2026, month 11, and the one existing date folder of the window
    assert calls["ListObjectsV2"] == 4
    # thousands of old objects in earlier dated folders change nothing
    _put(s3_client, bucket, [f"landing/orders/2025/0{1 + i % 9}/1{i % 9}/old{i}.jsonl" for i in range(2000)])
    client, calls = counting_s3_client()
    again = list_landing_window(client, bucket, ROOT, window)
    assert again.keys() == found.keys() and calls["ListObjectsV2"] == 4


def test_discovery_walks_dates_with_delimiters(s3_client, bucket):
    _put(
        s3_client,
        bucket,
        [f"landing/orders/2025/{m:02d}/{d:02d}/f{n}.jsonl" for m in (1, 2, 3) for d in (1, 15) for n in range(40)],
    )
    _put(s3_client, bucket, ["landing/orders/dt=2026-01-05/a.parquet"])
    client, calls = counting_s3_client()
    tree = scan_landing_tree(client, bucket, ROOT)
    assert sorted(tree.dated_folders) == [
        "2025-01-01",
        "2025-01-15",
        "2025-02-01",
        "2025-02-15",
        "2025-03-01",
        "2025-03-15",
        "2026-01-05",
    ]
    assert tree.undated == []
    assert calls["ListObjectsV2"] == 1 + 1 + 3  # root, one year, three months: the 240 files are never listed


def test_every_key_is_found_and_dated(s3_client, bucket):
    odd = [
        "landing/orders/2026/13/45/orders.jsonl",  # impossible date: LastModified
        "landing/orders/2026/11/orders.jsonl",  # month folder only: LastModified
        "landing/orders/batch-7/orders.jsonl",  # any other folder: LastModified
        "landing/orders/archive/dt=2026-11-02/orders.jsonl",  # a date deeper down: that date
        "landing/orders/_partial.jsonl",
        "landing/orders/.hidden.jsonl",  # hidden names are seen (and reported)
        "landing/orders/top.jsonl",
    ]
    _put(
        s3_client,
        bucket,
        [
            *odd,
            "landing/orders/2026/11/20/a.jsonl",
            "landing/orders/dt=2026-11-20/b.parquet",
            "landing/orders/2026/11/21/other-day.jsonl",
        ],
    )
    s3_client.put_object(Bucket=bucket, Key="landing/orders/2026/11/22/", Body=b"")  # a folder marker: no file
    today = datetime.now(timezone.utc).date()
    day = {v.key for v in list_landing_day(s3_client, bucket, ROOT, date(2026, 11, 20))}
    assert day == {"landing/orders/2026/11/20/a.jsonl", "landing/orders/dt=2026-11-20/b.parquet"}
    assert {v.key for v in list_landing_day(s3_client, bucket, ROOT, date(2026, 11, 2))} == {odd[3]}
    undated = {v.key for v in list_landing_day(s3_client, bucket, ROOT, today)}
    assert undated == set(odd) - {odd[3]}
    assert scan_landing_tree(s3_client, bucket, ROOT).partitions() >= {
        "2026-11-02",
        "2026-11-20",
        "2026-11-21",
        today.isoformat(),
    }
