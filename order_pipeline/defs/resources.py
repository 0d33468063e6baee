"""Resources: small config classes that build their clients lazily (dagster-aws's S3Resource is the model)."""

from __future__ import annotations

from typing import Any

import boto3
import dagster as dg
from botocore.config import Config
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


class WarehouseResource(dg.ConfigurableResource):
    """The role 'warehouse': DuckDB (embedded default) or Redshift. Assets never ask which one they got."""

    def open(self, s3_client: Any) -> Warehouse:
        raise NotImplementedError


class DuckDBWarehouseResource(WarehouseResource):
    path: str = Field(description="DuckDB database file (created if missing)")

    def open(self, s3_client: Any) -> Warehouse:
        from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

        return DuckDBWarehouse(self.path, s3_client)
