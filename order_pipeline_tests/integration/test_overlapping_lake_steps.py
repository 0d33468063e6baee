"""Crash guards of the lake step with overlapping runs of one date (issue 25 item 8), on the local S3 endpoint.

Three runs of a date are converting it (two per dataset are allowed; `dagster dev` has no limit): their attempts
are in flight, written by the real guard code under their own owners, and the Dagster instance knows their runs
as started. A fourth run must not count them as crashes; once their runs are dead, it must.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pytest

from order_pipeline.aws import s3_objects
from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.components.run_status import run_ended
from order_pipeline.config import Settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake.attempt_owner import AttemptOwner
from order_pipeline.steps.lake.conversion_attempts import ConversionAttempts
from order_pipeline.steps.lake.convert_partition import convert_partition
from order_pipeline.steps.lake.step_attempt import StepAttempt
from order_pipeline_tests.support.order_samples import jsonl_bytes, order

DAY = date(2026, 11, 21)
PARTITION = DAY.isoformat()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def _owner(instance: dg.DagsterInstance, *, here: bool) -> AttemptOwner:
    """A started run of the instance; `here`: its process is this (live) one, else one on another host."""
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name="orders_load_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED))
    host, pid = (socket.gethostname(), os.getpid()) if here else ("another-worker", 4242)
    return AttemptOwner(run_id, host, pid, lambda rid: run_ended(instance, rid))


def _overlapping_runs(s3_client, settings: Settings, instance: dg.DagsterInstance) -> tuple[list, list[AttemptOwner]]:
    """Run 1's step is converting both files; runs 2 and 3 started after it and are converting the first file
    alone, guarded by its attempts record (what a step does with a file it found charged)."""
    for name in ("good.jsonl", "other.jsonl"):
        s3_client.put_object(
            Bucket=settings.bucket, Key=f"landing/orders/{DAY:%Y/%m/%d}/{name}", Body=jsonl_bytes([order(1)])
        )
    files = sorted(list_landing_day(s3_client, settings.bucket, "landing/orders/", DAY), key=lambda v: v.key)
    owners = [_owner(instance, here=False), _owner(instance, here=True), _owner(instance, here=False)]
    StepAttempt(s3_client, settings.layout, ORDERS, PARTITION, owners[0]).start(files)
    for owner in owners[1:]:
        listed = {i.key for i in s3_objects.list_prefix(s3_client, settings.bucket, "lake/")}
        StepAttempt(s3_client, settings.layout, ORDERS, PARTITION, owner).charge_cut_short(files, listed)
        guard = ConversionAttempts(s3_client, settings.layout, ORDERS, PARTITION, files[0], owner)
        guard.cut_short()
        guard.start()
    return files, owners


def test_a_fourth_run_does_not_count_the_attempts_of_three_live_overlapping_runs_as_crashes(
    s3_client, bucket, instance
) -> None:
    settings = Settings(bucket=bucket)
    files, _ = _overlapping_runs(s3_client, settings, instance)

    fourth = _owner(instance, here=False)
    converted = [c for c, _ in convert_partition(s3_client, settings.layout, ORDERS, PARTITION, files, fourth)]

    assert [(c.source.key.rsplit("/", 1)[-1], c.status, c.error) for c in converted] == [
        ("good.jsonl", "converted", None),
        ("other.jsonl", "converted", None),
    ]
    assert not s3_client.list_objects_v2(Bucket=bucket, Prefix="quarantine/").get("KeyCount")


def test_once_the_overlapping_runs_are_dead_their_attempts_count_and_the_file_is_quarantined(
    s3_client, bucket, instance
) -> None:
    settings = Settings(bucket=bucket)
    files, owners = _overlapping_runs(s3_client, settings, instance)
    for owner in owners:  # e.g. all three SIGKILLed, then failed by run monitoring
        instance.report_run_failed(instance.get_run_by_id(owner.run_id))

    fourth = _owner(instance, here=False)
    converted = [c for c, _ in convert_partition(s3_client, settings.layout, ORDERS, PARTITION, files, fourth)]

    assert [(c.source.key.rsplit("/", 1)[-1], c.status, c.attempts) for c in converted] == [
        ("good.jsonl", "rejected", 3),
        ("other.jsonl", "converted", 2),
    ]
    assert "conversion did not complete in 3 attempts (process killed" in converted[0].error
