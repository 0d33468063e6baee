"""`order-pipeline aws policy TEMPLATE`: an IAM policy of deploy/iam/ filled in for the configured bucket,
prefixes, queues and topic. The templates name those with `${bucket}`, `${lake_prefix}`, … placeholders, so a
policy grants exactly what this configuration uses and nothing of other prefixes, queues or topics."""

from __future__ import annotations

import argparse
import json
from string import Template
from typing import Any

from order_pipeline.aws.topic_key import key_alias
from order_pipeline.commands.aws_bootstrap import infrastructure
from order_pipeline.config import Settings, load_settings


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
        "topic_key_alias": key_alias(topic),  # the topic's KMS key (created by `aws bootstrap`, random id)
        "cloudwatch_namespace": settings.cloudwatch_namespace or "",  # unset: its statement is left out
    }


def render_policy(template: str, values: dict[str, str]) -> dict[str, Any]:
    """The policy document; a placeholder without a value raises KeyError rather than reaching IAM. A statement
    whose condition names an empty value is for a setting left unset (no CloudWatch namespace): it is left out,
    so the policy grants only what this configuration uses."""
    policy = json.loads(Template(template).substitute(values))
    policy["Statement"] = [s for s in policy["Statement"] if not _conditioned_on_nothing(s)]
    return policy


def _conditioned_on_nothing(statement: dict[str, Any]) -> bool:
    return any(value in ("", []) for test in statement.get("Condition", {}).values() for value in test.values())


def run(args: argparse.Namespace) -> int:
    """`order-pipeline aws policy --template FILE`: the filled-in policy document on stdout."""
    import boto3

    settings = load_settings()
    account = args.account_id or boto3.client("sts", region_name=settings.region).get_caller_identity()["Account"]
    print(json.dumps(render_policy(args.template.read_text(), policy_values(settings, account)), indent=2))
    return 0
