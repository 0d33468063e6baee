"""`aws bootstrap` encrypts the notification topic with a customer-managed KMS key whose policy lets CloudWatch
alarms publish to it (the AWS-managed alias/aws/sns cannot): created once, found again by its alias, listed by
--dry-run, and an existing topic still on alias/aws/sns is moved to it. Against the moto server (it serves KMS)."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from order_pipeline.cli import main
from order_pipeline.config import load_settings


@pytest.fixture
def settings(aws_endpoint, monkeypatch):
    name = f"key-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ORDER_PIPELINE_BUCKET", name)
    monkeypatch.setenv("ORDER_PIPELINE_QUEUE_PREFIX", name)
    monkeypatch.delenv("ORDER_PIPELINE_SNS_TOPIC_ARN", raising=False)
    monkeypatch.delenv("ORDER_PIPELINE_CLOUDWATCH_NAMESPACE", raising=False)
    return load_settings()


def bootstrap_output(capsys, *arguments: str) -> str:
    assert main(["aws", "bootstrap", *arguments]) == 0
    return capsys.readouterr().out


def keys_with_alias(alias: str) -> list[str]:
    kms = boto3.client("kms")
    return [a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias]


def topic_arn(settings) -> str:
    return f"arn:aws:sns:{settings.region}:123456789012:{settings.queue_prefix}-events"


def test_the_key_is_listed_by_dry_run_created_once_with_cloudwatch_in_its_policy_then_unchanged(settings, capsys):
    alias = f"alias/{settings.queue_prefix}-events"
    planned = bootstrap_output(capsys, "--dry-run")
    assert f"create     kms key {alias}" in planned, planned
    assert keys_with_alias(alias) == []  # the dry run created nothing

    first = bootstrap_output(capsys)
    assert f"create     kms key {alias}" in first, first
    (key_id,) = keys_with_alias(alias)
    kms = boto3.client("kms")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    statements = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert [sorted(s["Action"]) for s in cloudwatch] == [["kms:Decrypt", "kms:GenerateDataKey*"]]
    root = [s for s in statements if s["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}]
    assert [s["Action"] for s in root] == ["kms:*"]  # the account administers it and grants its use through IAM
    attributes = boto3.client("sns").get_topic_attributes(TopicArn=topic_arn(settings))["Attributes"]
    assert attributes["KmsMasterKeyId"] == alias

    second = bootstrap_output(capsys)
    assert second.strip().endswith("no changes: everything is as wanted"), second
    assert f"unchanged  kms key {alias}" in second, second
    assert keys_with_alias(alias) == [key_id]  # found again by its alias, not created twice


def test_a_topic_still_on_the_aws_managed_key_is_moved_to_ours_and_reported(settings, capsys):
    sns = boto3.client("sns")
    arn = sns.create_topic(Name=f"{settings.queue_prefix}-events", Attributes={"KmsMasterKeyId": "alias/aws/sns"})[
        "TopicArn"
    ]
    alias = f"alias/{settings.queue_prefix}-events"
    planned = bootstrap_output(capsys, "--dry-run")
    assert f"update     sns topic {arn}" in planned and "alias/aws/sns -> " + alias in planned, planned
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"

    moved = bootstrap_output(capsys)
    assert f"update     sns topic {arn}" in moved, moved
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == alias
    assert "no changes" in bootstrap_output(capsys)


def test_a_key_policy_changed_by_hand_is_put_back(settings, capsys):
    alias = f"alias/{settings.queue_prefix}-events"
    bootstrap_output(capsys)
    (key_id,) = keys_with_alias(alias)
    kms = boto3.client("kms")
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"] = policy["Statement"][:1]  # CloudWatch's grant removed
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    assert f"update     kms key {alias}" in bootstrap_output(capsys)
    assert "cloudwatch.amazonaws.com" in kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
