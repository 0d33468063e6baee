"""Resources: small config classes that build their clients lazily (dagster-aws's S3Resource is the model)."""

from __future__ import annotations

from typing import Any

import boto3
import dagster as dg
from botocore.config import Config
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field

from order_pipeline.aws.sns import publish_event
from order_pipeline.notifications import PipelineEvent
from order_pipeline.warehouse.base import Warehouse


def _client_config(max_attempts: int) -> Config:
    # botocore's "standard" mode retries throttling, 5xx and connection errors with exponential backoff + jitter
    return Config(retries={"max_attempts": max_attempts, "mode": "standard"})


class SNSResource(dg.ConfigurableResource):
    """Publishes pipeline events to an SNS topic; without a topic, publishing is a no-op."""

    topic_arn: str | None = Field(default=None, description="ARN of the topic events go to; unset: no notifications")
    region_name: str | None = Field(default=None, description="AWS region (default: the standard AWS variables)")
    max_attempts: int = Field(default=5, description="Client-level attempts for throttling and 5xx errors")

    def get_client(self) -> Any:
        return boto3.client("sns", region_name=self.region_name, config=_client_config(self.max_attempts))

    def publish(self, event: PipelineEvent) -> str | None:
        """Publish one event; failures are logged and swallowed so a notification never fails a load."""
        if not self.topic_arn:
            return None
        return publish_event(self.get_client(), self.topic_arn, event)


class SQSResource(ResourceWithBoto3Configuration):
    """An SQS client (the landing sensor's event queue), configured like dagster-aws's S3Resource."""

    def get_client(self) -> Any:
        session = boto3.session.Session(profile_name=self.profile_name)
        return session.client("sqs", region_name=self.region_name, endpoint_url=self.endpoint_url,
                              use_ssl=self.use_ssl, verify=self.verify, aws_access_key_id=self.aws_access_key_id,
                              aws_secret_access_key=self.aws_secret_access_key,
                              aws_session_token=self.aws_session_token, config=_client_config(self.max_attempts))


class WarehouseResource(dg.ConfigurableResource):
    """The role 'warehouse': DuckDB (embedded default) or Redshift. Assets never ask which one they got."""

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        """A warehouse connection. `wait_seconds` bounds how long to wait for a warehouse another process holds
        (sensors pass a short wait and try again next tick); None waits as long as a load reasonably takes."""
        raise NotImplementedError


class DuckDBWarehouseResource(WarehouseResource):
    path: str = Field(description="DuckDB database file (created if missing)")

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

        if wait_seconds is None:
            return DuckDBWarehouse(self.path, s3_client)
        return DuckDBWarehouse(self.path, s3_client, lock_wait_seconds=wait_seconds)
