"""The sensor's listing: paginated, and its cost follows the lookback window, not the bucket's history."""

from datetime import date, datetime, timezone

import boto3

from order_pipeline.aws.s3_objects import list_landing_day, list_landing_window, list_prefix
from order_pipeline.landing import days_between


class CountingClient:
    """A real boto3 S3 client whose list calls are counted via botocore's event hooks."""

    def __init__(self):
        self.client = boto3.client("s3")
        self.list_calls = 0
        self.client.meta.events.register("before-call.s3.ListObjectsV2", self._count)

    def _count(self, **_):
        self.list_calls += 1


def _put(s3_client, bucket, keys):
    for key in keys:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"{}\n")


def test_listing_paginates_past_1000_keys(s3_client, bucket):
    _put(s3_client, bucket, [f"landing/orders/2026/11/20/f{i:05d}.jsonl" for i in range(1105)])
    assert len(list(list_prefix(s3_client, bucket, "landing/orders/2026/11/20/"))) == 1105


def test_listing_cost_grows_with_window_not_with_old_objects(s3_client, bucket):
    window = days_between(date(2026, 11, 20), date(2026, 11, 22))
    _put(s3_client, bucket, ["landing/orders/2026/11/21/new.jsonl"])
    counting = CountingClient()
    found = list_landing_window(counting.client, bucket, "landing/orders/", window)
    calls_small_bucket = counting.list_calls
    # thousands of old objects in earlier date prefixes must not change the number of list calls
    _put(s3_client, bucket, [f"landing/orders/2025/0{1 + i % 9}/1{i % 9}/old{i}.jsonl" for i in range(2000)])
    counting = CountingClient()
    found_again = list_landing_window(counting.client, bucket, "landing/orders/", window)
    assert [v.key for v in found] == [v.key for v in found_again] == ["landing/orders/2026/11/21/new.jsonl"]
    assert counting.list_calls == calls_small_bucket == 2 * len(window) + 1
    # and a wider window costs more calls
    counting = CountingClient()
    wider = days_between(date(2026, 11, 15), date(2026, 11, 22))
    list_landing_window(counting.client, bucket, "landing/orders/", wider)
    assert counting.list_calls == 2 * 8 + 1


def test_day_listing_includes_both_layouts_and_undated_files_of_that_date(s3_client, bucket):
    _put(s3_client, bucket, ["landing/orders/2026/11/20/a.jsonl", "landing/orders/dt=2026-11-20/b.parquet",
                             "landing/orders/2026/11/21/other-day.jsonl", "landing/orders/undated.json"])
    today = datetime.now(timezone.utc).date()
    keys = {v.key for v in list_landing_day(s3_client, bucket, "landing/orders/", date(2026, 11, 20))}
    assert keys == {"landing/orders/2026/11/20/a.jsonl", "landing/orders/dt=2026-11-20/b.parquet"}
    undated = {v.key for v in list_landing_day(s3_client, bucket, "landing/orders/", today)}
    assert undated == {"landing/orders/undated.json"}
