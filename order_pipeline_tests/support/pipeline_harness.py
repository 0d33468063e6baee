"""A whole local pipeline for end-to-end tests: real moto endpoint, real DuckDB file, real Dagster instance.

Configuration goes through the same environment variables a deployment uses; the sensor and runs are the
real definitions driven by `order_pipeline.commands.headless` (the code `order-pipeline demo` runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import dagster as dg

from order_pipeline.commands.headless import TickOutcome, drain, run_sensor_tick
from order_pipeline.commands.local_stack import LocalStack, provision
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import Settings, load_settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.env import patched_environ


@dataclass
class LocalPipeline:
    settings: Settings
    instance: dg.DagsterInstance
    queue_url: str
    datasets: tuple[Dataset, ...] = (ORDERS,)
    cursor: str | None = None
    reconcile_cursor: str | None = None
    ticks: list[TickOutcome] = field(default_factory=list)

    @property
    def s3(self) -> Any:
        return boto3.client("s3")

    def defs(self) -> dg.Definitions:
        return build_definitions(load_settings(), datasets=self.datasets)

    def sensor_name(self, dataset: Dataset = ORDERS) -> str:
        return dataset.landing_sensor_name

    def land(self, key: str, body: bytes) -> str:
        response = self.s3.put_object(Bucket=self.settings.bucket, Key=key, Body=body)
        return response["ETag"].strip('"')

    def tick(self, dataset: Dataset = ORDERS, *, execute: bool = True) -> TickOutcome:
        outcome = run_sensor_tick(self.defs(), self.instance, self.sensor_name(dataset), self.cursor, execute=execute)
        self.cursor = outcome.cursor
        self.ticks.append(outcome)
        return outcome

    def drain(self, dataset: Dataset = ORDERS, max_ticks: int = 20) -> list[TickOutcome]:
        self.cursor, ticks = drain(
            self.defs(), self.instance, self.sensor_name(dataset), self.cursor, max_ticks=max_ticks
        )
        self.ticks.extend(ticks)
        return ticks

    def reconcile(self, dataset: Dataset = ORDERS) -> TickOutcome:
        outcome = run_sensor_tick(self.defs(), self.instance, dataset.reconcile_sensor_name, self.reconcile_cursor)
        self.reconcile_cursor = outcome.cursor
        return outcome

    def query(self, sql: str) -> list[tuple]:
        db = open_warehouse(load_settings(), self.s3)
        try:
            return db.query(sql)
        finally:
            db.close()

    def notifications(self, wait_seconds: int = 1) -> list[dict]:
        """Every message published to the topic so far, read back from the subscribed SQS queue."""
        sqs = boto3.client("sqs")
        messages = []
        while True:
            response = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait_seconds,
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                envelope = json.loads(message["Body"])
                messages.append(
                    {
                        "subject": envelope.get("Subject"),
                        **json.loads(envelope["Message"]),
                        "_attributes": envelope.get("MessageAttributes", {}),
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@contextmanager
def local_pipeline(
    aws_endpoint: str,
    bucket: str,
    state_dir: Path,
    *,
    datasets: Sequence[Dataset] = (ORDERS,),
    extra_env: dict[str, str] | None = None,
) -> Iterator[LocalPipeline]:
    endpoint = urlparse(aws_endpoint)
    stack = LocalStack(
        state_dir=state_dir,
        host=endpoint.hostname or "127.0.0.1",
        port=endpoint.port or 80,
        bucket=bucket,
        topic=f"{bucket}-events",
        queue=f"{bucket}-inbox",
        queue_prefix=bucket,
        datasets=tuple(d.name for d in datasets),
    )
    created = provision(stack)
    env = {
        "ORDER_PIPELINE_BUCKET": bucket,
        "ORDER_PIPELINE_STATE_DIR": str(state_dir),
        "ORDER_PIPELINE_DUCKDB_PATH": str(state_dir / "warehouse.duckdb"),
        "ORDER_PIPELINE_SNS_TOPIC_ARN": created["topic_arn"],
        "ORDER_PIPELINE_QUEUE_PREFIX": bucket,
        "ORDER_PIPELINE_LOOKBACK_DAYS": "5",
        "ORDER_PIPELINE_RECONCILE_MIN_AGE_SECONDS": "0",
        **(extra_env or {}),
    }
    with patched_environ(env), dg.instance_for_test() as instance:
        yield LocalPipeline(
            settings=load_settings(), instance=instance, queue_url=created["queue_url"], datasets=tuple(datasets)
        )
