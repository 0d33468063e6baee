"""`order-pipeline aws bootstrap [--dry-run] [--email ADDRESS]`: the configured AWS resources, from the same
settings the pipeline reads. `order-pipeline local up` runs the same code against the local endpoint."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import boto3

from order_pipeline.aws.bootstrap import (
    Change,
    Clients,
    Infrastructure,
    LandingQueue,
    Monitoring,
    bootstrap,
    describe,
)
from order_pipeline.config import Settings, load_settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.registry import registered_datasets


def infrastructure(
    settings: Settings, datasets: Sequence[str], topic_name: str | None = None, *, email: str | None = None
) -> Infrastructure:
    """What `settings` asks for, for the named datasets (their queues and landing prefixes; their alarms when a
    CloudWatch namespace is configured), and an e-mail address to subscribe to the topic."""
    if topic_name is None:
        topic_name = (
            settings.sns_topic_arn.rsplit(":", 1)[-1] if settings.sns_topic_arn else f"{settings.queue_prefix}-events"
        )
    return Infrastructure(
        bucket=settings.bucket,
        region=settings.region,
        topic_name=topic_name,
        queues=tuple(LandingQueue(name, settings.queue_name(name), settings.landing_root(name)) for name in datasets),
        visibility_seconds=settings.queue_visibility_seconds,
        max_receives=settings.queue_max_receives,
        monitoring=Monitoring(settings.cloudwatch_namespace, settings.max_lag_minutes * 60, settings.queue_prefix)
        if settings.cloudwatch_namespace
        else None,
        email=email,
    )


def aws_clients(region: str, **client_kwargs: str) -> Clients:
    """boto3 clients; the endpoint comes from AWS_ENDPOINT_URL (or `endpoint_url`) like everywhere else."""
    return Clients(
        *(
            boto3.client(name, region_name=region, **client_kwargs)
            for name in ("s3", "sqs", "sns", "sts", "cloudwatch", "kms")
        )
    )


def run_bootstrap(
    settings: Settings, datasets: Sequence[Dataset], *, dry_run: bool, email: str | None = None
) -> list[Change]:
    return bootstrap(
        aws_clients(settings.region),
        infrastructure(settings, [d.name for d in datasets], email=email),
        dry_run=dry_run,
    )


def run(args: argparse.Namespace) -> int:
    """`order-pipeline aws bootstrap [--dry-run] [--email ADDRESS]`: prints each change (or what it would change)."""
    changes = run_bootstrap(load_settings(), registered_datasets(), dry_run=args.dry_run, email=args.email)
    print(describe(changes))
    return 0
