"""Resources: small config classes that build their clients lazily (dagster-aws's S3Resource is the model);
a test double is a subclass that overrides `get_client()` (or `open`, for the warehouse). The warehouse role's
base and its DuckDB backend are in `warehouse_resource.py`, Redshift's in `redshift_resource.py`."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import dagster as dg
from botocore.config import Config
from dagster_aws.s3 import S3Resource
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field

from order_pipeline.aws.cloudwatch_metrics import publish_metrics
from order_pipeline.aws.sns import publish_event
from order_pipeline.components.redshift_resource import redshift_resource_from_settings
from order_pipeline.components.warehouse_resource import DuckDBWarehouseResource, WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.notifications import PipelineEvent
from order_pipeline.warehouse.base import Warehouse

log = logging.getLogger(__name__)
CLIENT_MAX_ATTEMPTS = 5
_CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_sessions: dict[tuple[str | None, ...], boto3.session.Session] = {}
_sessions_lock = threading.Lock()
_clients: dict[tuple[Any, ...], Any] = {}
_CLIENTS_KEPT = 32  # distinct configurations per process: a handful in practice; past this the cache starts afresh


def boto3_client(resource: ResourceWithBoto3Configuration | S3Resource, service: str) -> Any:
    """A client configured like dagster-aws's: botocore's "standard" retries (throttling, 5xx, dropped connections,
    exponential backoff with jitter); the endpoint from `endpoint_url` or the standard AWS_ENDPOINT_URL.

    Clients come from one boto3 session per process (and identity): a client built from a fresh session re-reads
    botocore's endpoint and service JSON, ~0.2 s each and several per run; from a shared session, ~10 ms. Sessions
    are not thread-safe, hence the lock. A client is then kept and handed out again for the same service, resource
    settings and AWS_* environment (endpoints, credentials, region): building one still cost 40-130 ms, and a
    headless drain of 5 partitions built 41 (issue 24). Clients are thread-safe; refreshable credentials refresh
    inside the client."""
    environment = tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_")))
    settings = (resource.region_name, resource.endpoint_url, resource.use_ssl, resource.verify)
    secrets = (resource.aws_access_key_id, resource.aws_secret_access_key, resource.aws_session_token)
    client_key = (service, resource.profile_name, *settings, *secrets, resource.max_attempts, environment)
    key = (resource.profile_name, *(os.environ.get(name) for name in _CREDENTIAL_VARIABLES))
    with _sessions_lock:
        client = _clients.get(client_key)
        if client is not None:
            return client
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = boto3.session.Session(profile_name=resource.profile_name)
        client = session.client(
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
        if len(_clients) >= _CLIENTS_KEPT:
            _clients.clear()
        _clients[client_key] = client
        return client


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


@dataclass(frozen=True)
class MetricsPublished:
    sent: int
    text: str  # what the materialization's metadata and the tick's log show
    failed: bool = False


class CloudWatchMetricsResource(ResourceWithBoto3Configuration):
    """Loads and reconciles hand it their metrics (aws/cloudwatch_metrics.py); without a namespace
    (ORDER_PIPELINE_CLOUDWATCH_NAMESPACE unset) publishing is a no-op. Publishing never fails the caller: a load
    that succeeded stays succeeded when CloudWatch refuses or cannot be reached; the failure is logged as a warning
    and returned, and the caller shows it (the materialization's `cloudwatch_metrics` metadata, the tick's log)."""

    namespace: str | None = Field(default=None, description="CloudWatch namespace of the metrics; unset: none sent")

    def get_client(self) -> Any:
        return boto3_client(self, "cloudwatch")

    @property
    def enabled(self) -> bool:
        return bool(self.namespace)

    def publish(self, data: Sequence[dict[str, Any]]) -> MetricsPublished:
        """Send the entries; returns what happened (how many were sent, or the failure). Never raises."""
        if not self.namespace:
            return MetricsPublished(0, "off (ORDER_PIPELINE_CLOUDWATCH_NAMESPACE unset)")
        try:
            sent = publish_metrics(self.get_client(), self.namespace, data)
        except Exception as error:  # noqa: BLE001 - metrics must never fail a load that succeeded
            log.warning("CloudWatch metrics not published to %s", self.namespace, exc_info=True)
            return MetricsPublished(
                0, f"NOT published to {self.namespace}: {type(error).__name__}: {error}"[:500], True
            )
        return MetricsPublished(sent, f"{sent} published to {self.namespace}")


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
        "metrics": CloudWatchMetricsResource(
            namespace=settings.cloudwatch_namespace, region_name=settings.region, max_attempts=CLIENT_MAX_ATTEMPTS
        ),
        "warehouse": warehouse_resource(settings),
    }
