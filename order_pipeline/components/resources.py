"""Resources: small config classes that build their clients lazily (dagster-aws's S3Resource is the model);
a test double is a subclass that overrides `get_client()` (or `open`, for the warehouse). The warehouse role's
base and its DuckDB backend are in `warehouse_resource.py`, Redshift's in `redshift_resource.py`."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import dagster as dg
from botocore.config import Config
from dagster_aws.s3 import S3Resource
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field

from order_pipeline.aws.sns import publish_event
from order_pipeline.components.redshift_resource import redshift_resource_from_settings
from order_pipeline.components.warehouse_resource import DuckDBWarehouseResource, WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.notifications import PipelineEvent
from order_pipeline.warehouse.base import Warehouse

CLIENT_MAX_ATTEMPTS = 5
_CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_sessions: dict[tuple[str | None, ...], boto3.session.Session] = {}
_sessions_lock = threading.Lock()


def boto3_client(resource: ResourceWithBoto3Configuration | S3Resource, service: str) -> Any:
    """A client configured like dagster-aws's: botocore's "standard" retries (throttling, 5xx, dropped connections,
    exponential backoff with jitter); the endpoint from `endpoint_url` or the standard AWS_ENDPOINT_URL.

    Clients come from one boto3 session per process (and identity): a client built from a fresh session re-reads
    botocore's endpoint and service JSON, ~0.2 s each and several per run; from a shared session, ~10 ms. The
    endpoint variables are still read per client. Sessions are not thread-safe, hence the lock."""
    key = (resource.profile_name, *(os.environ.get(name) for name in _CREDENTIAL_VARIABLES))
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = boto3.session.Session(profile_name=resource.profile_name)
        return session.client(
            service,
            region_name=resource.region_name,
            endpoint_url=resource.endpoint_url,
            use_ssl=resource.use_ssl,
            verify=resource.verify,
            aws_access_key_id=resource.aws_access_key_id,
            aws_secret_access_key=resource.aws_secret_access_key,
            aws_session_token=resource.aws_session_token,
            config=Config(retries={"max_attempts": resource.max_attempts, "mode": "standard"}),
        )


class S3ClientResource(S3Resource):
    """dagster-aws's S3Resource, its client built from the shared session (a plain S3 client, as the assets use)."""

    def get_client(self) -> Any:
        return boto3_client(self, "s3")


class SNSResource(ResourceWithBoto3Configuration):
    """Publishes pipeline events to an SNS topic; without a topic, publishing is a no-op."""

    topic_arn: str | None = Field(default=None, description="ARN of the topic events go to; unset: no notifications")

    def get_client(self) -> Any:
        return boto3_client(self, "sns")

    def publish(self, event: PipelineEvent) -> str | None:
        """Publish one event; failures are logged and swallowed so a notification never fails a load."""
        if not self.topic_arn:
            return None
        return publish_event(self.get_client(), self.topic_arn, event)


class SQSResource(ResourceWithBoto3Configuration):
    """An SQS client: the landing sensor's event queue."""

    def get_client(self) -> Any:
        return boto3_client(self, "sqs")


def warehouse_resource(settings: Settings) -> WarehouseResource:
    if settings.warehouse == "redshift":
        return redshift_resource_from_settings(settings)
    return DuckDBWarehouseResource(path=str(settings.duckdb_path), memory_limit=settings.duckdb_memory_limit)


def open_warehouse(settings: Settings, s3_client: Any) -> Warehouse:
    """The configured warehouse for code outside a run (demo, tests): EnvVar secrets resolved as in a run."""
    return warehouse_resource(settings).process_config_and_initialize().open(s3_client)


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "s3": S3ClientResource(region_name=settings.region, max_attempts=CLIENT_MAX_ATTEMPTS),
        "notifier": SNSResource(
            topic_arn=settings.sns_topic_arn, region_name=settings.region, max_attempts=CLIENT_MAX_ATTEMPTS
        ),
        "queue": SQSResource(region_name=settings.region, max_attempts=CLIENT_MAX_ATTEMPTS),
        "warehouse": warehouse_resource(settings),
    }
