"""The customer-managed KMS key that encrypts the notification topic.

CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed key `alias/aws/sns`: its key policy
cannot grant `cloudwatch.amazonaws.com`. So `aws bootstrap` keeps a key of our own, found by its alias
(`alias/<topic name>`), whose policy lets the account administer it (and so grant use through IAM, as the Dagster
process's policy does) and lets CloudWatch encrypt for the topic."""

from __future__ import annotations

import json
from typing import Any

from order_pipeline.aws.bootstrap_change import Change

CLOUDWATCH_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]


def key_alias(topic_name: str) -> str:
    """The alias that finds the topic's key again (one key per topic)."""
    return f"alias/{topic_name}"


def key_policy(account: str) -> dict[str, Any]:
    """In a key policy `Resource: *` means this key."""
    return {
        "Version": "2012-10-17",
        "Id": "order-pipeline-notifications-key",
        "Statement": [
            {
                "Sid": "TheAccountAdministersTheKeyAndGrantsItsUseThroughIAM",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublishToTheEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": CLOUDWATCH_ACTIONS,
                "Resource": "*",
            },
        ],
    }


def ensure_topic_key(kms: Any, topic_name: str, account: str, dry_run: bool) -> tuple[str | None, Change]:
    """The key's ARN (None when a dry run would create it) and what was (or would be) done."""
    alias = key_alias(topic_name)
    wanted = key_policy(account)
    resource = f"kms key {alias}"
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        if dry_run:
            return None, Change("create", resource)
        metadata = kms.create_key(
            Description=f"order-pipeline: encrypts the SNS topic {topic_name} (CloudWatch alarms may publish)",
            KeyUsage="ENCRYPT_DECRYPT",
            Policy=json.dumps(wanted),
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
        return metadata["Arn"], Change("create", resource)
    current = kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"]
    if json.loads(current) == wanted:
        return metadata["Arn"], Change("unchanged", resource)
    if not dry_run:
        kms.put_key_policy(KeyId=metadata["KeyId"], PolicyName="default", Policy=json.dumps(wanted))
    return metadata["Arn"], Change("update", resource, "key policy")
