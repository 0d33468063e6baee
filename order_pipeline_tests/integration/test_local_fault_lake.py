"""Issue 20 item 4: "no space left on device" while converting one file counts as an attempt of that file; after
the crash-guard limit the file is quarantined with the cause, and its neighbours load. The disk is simulated full
by a writer that fails for that one file (the real converter runs for every other file)."""

from __future__ import annotations

import errno
from datetime import date

import pytest

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.config import Settings
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake import convert_partition as lake
from order_pipeline.steps.lake.conversion_attempts import MAX_ATTEMPTS
from order_pipeline_tests.support.order_samples import jsonl_bytes, order

FOLDER = "landing/orders/2026/11/20/"


def test_a_file_that_fills_the_disk_is_quarantined_after_the_attempt_limit(s3_client, bucket, monkeypatch) -> None:
    settings = Settings(bucket=bucket)
    s3_client.put_object(Bucket=bucket, Key=FOLDER + "a-good.jsonl", Body=jsonl_bytes([order(1)]))
    s3_client.put_object(Bucket=bucket, Key=FOLDER + "b-fills-disk.jsonl", Body=jsonl_bytes([order(2)]))
    s3_client.put_object(Bucket=bucket, Key=FOLDER + "c-good.jsonl", Body=jsonl_bytes([order(3)]))

    def disk_fills_for_b(dataset, source, out, **kwargs):
        if "fills-disk" in kwargs["source_name"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return convert_file(dataset, source, out, **kwargs)

    monkeypatch.setattr(lake, "convert_file", disk_fills_for_b)
    files = list_landing_day(s3_client, bucket, "landing/orders/", date(2026, 11, 20))
    for attempt in range(1, MAX_ATTEMPTS):  # each run fails the step (retried) and counts one attempt of b
        with pytest.raises(lake.CountedAttempt, match=f"attempt {attempt} failed on a local fault"):
            list(lake.convert_partition(s3_client, settings.layout, ORDERS, "2026-11-20", files))

    records = {
        c.source.key.rsplit("/", 1)[-1]: c
        for c, _ in lake.convert_partition(s3_client, settings.layout, ORDERS, "2026-11-20", files)
    }

    bad = records["b-fills-disk.jsonl"]
    assert bad.status == "rejected" and bad.attempts == MAX_ATTEMPTS and bad.parts == {}
    assert "No space left on device" in bad.error and bad.quarantine_uri, bad.error
    for good in ("a-good.jsonl", "c-good.jsonl"):
        assert records[good].status == "converted" and records[good].rows["orders"] == 1
