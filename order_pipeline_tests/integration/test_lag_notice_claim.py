"""One `lag_exceeded` notice per date even when two runs of the date report the breach at once: the claim is one
S3 conditional write (If-None-Match: *) on the local endpoint, not a read then a write."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from order_pipeline.layout import LakeLayout
from order_pipeline.steps.warehouse.completeness import claim_lag_notice, lag_notice_key


class InLockstep:
    """An S3 client shared by two threads, each of which waits for the other after its first request: with a
    read-then-write claim both read "absent" before either writes (the race, made certain)."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self._barrier = threading.Barrier(2, timeout=30)
        self._first = threading.local()

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._s3, name)
        if not callable(call):
            return call

        def in_lockstep(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **kwargs)
            finally:
                if not getattr(self._first, "done", False):
                    self._first.done = True
                    self._barrier.wait()

        return in_lockstep


def test_two_runs_claiming_a_dates_notice_at_once_get_exactly_one_claim(aws_endpoint, bucket):
    layout = LakeLayout(bucket, "landing", "lake", "quarantine")
    s3 = InLockstep(boto3.client("s3"))

    with ThreadPoolExecutor(2) as pool:
        claims = list(
            pool.map(lambda run: claim_lag_notice(s3, layout, "orders", "2026-12-04", run.encode()), ["a", "b"])
        )

    assert sorted(claims) == [False, True]
    body = boto3.client("s3").get_object(Bucket=bucket, Key=lag_notice_key(layout, "orders", "2026-12-04"))["Body"]
    assert body.read() == (b"a" if claims[0] else b"b")  # the winner's marker was not overwritten
    assert claim_lag_notice(boto3.client("s3"), layout, "orders", "2026-12-04", b"c") is False  # and later ones
    assert claim_lag_notice(boto3.client("s3"), layout, "orders", "2026-12-05", b"d") is True  # another date
