"""`order-pipeline aws policy TEMPLATE`: an IAM policy of deploy/iam/ filled in for the configured bucket,
prefixes, queues and topic. The templates name those with `${bucket}`, `${lake_prefix}`, … placeholders, so a
policy grants exactly what this configuration uses and nothing of other prefixes, queues or topics."""

from __future__ import annotations

import json
from string import Template
from typing import Any

from order_pipeline.commands.aws_bootstrap import infrastructure
from order_pipeline.config import Settings


def policy_values(settings: Settings, account_id: str) -> dict[str, str]:
    """Each placeholder's value (the topic is the one `aws bootstrap` creates unless SNS_TOPIC_ARN names one)."""
    topic = infrastructure(settings, []).topic_name
    return {
        "bucket": settings.bucket,
        "landing_prefix": settings.landing_prefix.strip("/"),
        "lake_prefix": settings.lake_prefix.strip("/"),
        "quarantine_prefix": settings.quarantine_prefix.strip("/"),
        "queue_prefix": settings.queue_prefix,
        "region": settings.region,
        "account_id": account_id,
        "topic_arn": settings.sns_topic_arn or f"arn:aws:sns:{settings.region}:{account_id}:{topic}",
    }


def render_policy(template: str, values: dict[str, str]) -> dict[str, Any]:
    """The policy document; a placeholder without a value raises KeyError rather than reaching IAM."""
    return json.loads(Template(template).substitute(values))
