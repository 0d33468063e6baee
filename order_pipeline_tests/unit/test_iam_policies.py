"""The shipped IAM documents (deploy/iam/) grant no more than the code needs (issue 25, item 7). What they allow
is proven against an IAM-enforcing endpoint in system/test_least_privilege.py; here: what they must not allow,
including the COPY role's trust condition, which moto cannot evaluate for a service principal."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from order_pipeline.commands.aws_policy import render_policy

IAM = Path(__file__).resolve().parents[2] / "deploy" / "iam"
ACCOUNT = "123456789012"
VALUES = {
    "bucket": "orders-bucket",
    "landing_prefix": "landing",
    "lake_prefix": "lake",
    "quarantine_prefix": "quarantine",
    "queue_prefix": "orders",
    "region": "eu-west-1",
    "account_id": ACCOUNT,
    "topic_arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders-notifications",
    "cloudwatch_namespace": "OrderPipeline",
    "topic_key_alias": "alias/orders-notifications",
}


def shipped(name: str) -> dict[str, Any]:
    return render_policy((IAM / name).read_text(), VALUES)


def allows(policy: dict[str, Any], action: str, key: str) -> bool:
    """Whether an Allow statement grants `action` on the object `key` (IAM's `*` spans `/`, as fnmatch's does)."""
    arn = f"arn:aws:s3:::{VALUES['bucket']}/{key}"
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Allow" and action in actions and any(fnmatchcase(arn, r) for r in resources):
            return True
    return False


def test_the_process_role_may_not_delete_under_quarantine_but_still_writes_there():
    process = shipped("dagster-process.json")
    key = "quarantine/orders/dt=2026-11-20/a.jsonl"
    assert not allows(process, "s3:DeleteObject", key)
    assert allows(process, "s3:PutObject", key) and allows(process, "s3:GetObject", key)
    assert allows(process, "s3:DeleteObject", "lake/orders/dt=2026-11-20/a.parquet")  # replaced parts, guards


def test_the_copy_role_reads_parts_and_manifests_but_not_conversion_records():
    copy = shipped("redshift-copy.json")
    assert allows(copy, "s3:GetObject", "lake/orders/dt=2026-11-20/landing_orders_a.jsonl-1a2b.parquet")
    assert allows(copy, "s3:GetObject", "lake/order_items/dt=2026-11-20/x.parquet")
    assert allows(copy, "s3:GetObject", "lake/_manifests/orders/2026-11-20/abc/orders.manifest")
    for private in (
        "lake/_conversions/orders/dt=2026-11-20/a.jsonl-1a2b.json",  # holds raw rejected records
        "lake/_conversions/orders/dt=2026-11-20/a.jsonl-1a2b.json.attempts",
        "lake/_conversions/orders/dt=2026-11-20/_load.attempts.json",
        "lake/_schemas/orders.json",
        "lake/_sensors/orders-orders-landing/journal.json",
        "quarantine/orders/dt=2026-11-20/a.jsonl",
    ):
        assert not allows(copy, "s3:GetObject", private), private


def test_the_copy_role_trusts_redshift_only_on_behalf_of_this_account():
    (statement,) = shipped("redshift-copy-trust.json")["Statement"]
    assert statement["Principal"] == {"Service": "redshift.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_the_process_role_puts_metrics_in_the_configured_namespace_only_and_nothing_else_of_cloudwatch():
    cloudwatch = [
        statement
        for statement in shipped("dagster-process.json")["Statement"]
        if any(str(action).startswith("cloudwatch:") for action in _actions(statement))
    ]
    assert cloudwatch == [
        {
            "Sid": "PublishMetricsToTheNamespaceOnly",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",  # PutMetricData has no resource-level permissions: the namespace condition scopes it
            "Condition": {"StringEquals": {"cloudwatch:namespace": "OrderPipeline"}},
        }
    ]


def test_without_a_namespace_the_process_role_gets_no_cloudwatch_statement():
    policy = render_policy((IAM / "dagster-process.json").read_text(), {**VALUES, "cloudwatch_namespace": ""})
    assert not [s for s in policy["Statement"] if any(a.startswith("cloudwatch:") for a in _actions(s))]
    assert len(policy["Statement"]) == len(shipped("dagster-process.json")["Statement"]) - 1


def _actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_the_process_role_may_only_encrypt_for_the_topic_with_its_key_through_sns():
    """Publishing to the KMS-encrypted topic needs kms:GenerateDataKey and kms:Decrypt on its key. The key's id is
    random (bootstrap creates it), so the grant is scoped by the key's alias and to requests SNS makes in the region:
    no other key, and no direct use of this one."""
    kms = [
        statement
        for statement in shipped("dagster-process.json")["Statement"]
        if any(str(action).startswith("kms:") for action in _actions(statement))
    ]
    assert kms == [
        {
            "Sid": "EncryptForTheTopicThroughSnsWithItsKeyOnly",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*",
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/orders-notifications"},
                "StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"},
            },
        }
    ]


def test_the_policy_command_names_the_key_bootstrap_creates_for_the_topic():
    from order_pipeline.aws.topic_key import key_alias
    from order_pipeline.commands.aws_bootstrap import infrastructure
    from order_pipeline.commands.aws_policy import policy_values
    from order_pipeline.config import load_settings

    for env in ({}, {"ORDER_PIPELINE_SNS_TOPIC_ARN": f"arn:aws:sns:eu-west-1:{ACCOUNT}:ops-alerts"}):
        settings = load_settings({"ORDER_PIPELINE_BUCKET": "b", **env})
        topic = infrastructure(settings, []).topic_name
        assert policy_values(settings, ACCOUNT)["topic_key_alias"] == key_alias(topic) == f"alias/{topic}"
    assert topic == "ops-alerts"
