"""`order-pipeline aws bootstrap` against the local endpoint: idempotent, dry-run honest, and what it creates is
what the landing sensor reads."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from order_pipeline.aws import sqs_queue
from order_pipeline.aws.bootstrap import bootstrap, describe
from order_pipeline.cli import main
from order_pipeline.commands.aws_bootstrap import aws_clients, infrastructure
from order_pipeline.config import load_settings
from order_pipeline.landing.events import parse_message


@pytest.fixture
def settings(aws_endpoint, monkeypatch):
    name = f"boot-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ORDER_PIPELINE_BUCKET", name)
    monkeypatch.setenv("ORDER_PIPELINE_QUEUE_PREFIX", name)
    monkeypatch.delenv("ORDER_PIPELINE_SNS_TOPIC_ARN", raising=False)
    return load_settings()


def test_dry_run_changes_nothing_then_bootstrap_creates_then_a_second_run_changes_nothing(settings, capsys):
    sqs = boto3.client("sqs")
    assert main(["aws", "bootstrap", "--dry-run"]) == 0
    planned = capsys.readouterr().out
    assert f"create     s3 bucket {settings.bucket}" in planned and "sqs queue" in planned
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=settings.queue_name("orders"))  # the dry run created nothing

    assert main(["aws", "bootstrap"]) == 0
    first = capsys.readouterr().out
    assert "6 change(s)" in first, first  # bucket, topic key, topic, dead-letter queue, queue, notification
    assert main(["aws", "bootstrap"]) == 0
    second = capsys.readouterr().out
    assert second.strip().endswith("no changes: everything is as wanted") and "create" not in second, second


def test_the_queue_has_a_dead_letter_queue_a_policy_and_receives_the_bucket_events(settings):
    bootstrap(aws_clients(settings.region), infrastructure(settings, ["orders"]))
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    url = sqs_queue.queue_url(sqs, settings.queue_name("orders"))
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{settings.queue_name('orders')}-dlq")
    assert redrive["maxReceiveCount"] == settings.queue_max_receives
    statement = json.loads(attributes["Policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == f"arn:aws:s3:::{settings.bucket}"
    assert attributes["VisibilityTimeout"] == str(settings.queue_visibility_seconds)

    s3.put_object(Bucket=settings.bucket, Key="landing/orders/2026/11/20/a b.jsonl", Body=b"{}\n")
    s3.put_object(Bucket=settings.bucket, Key="lake/orders/dt=2026-11-20/x.parquet", Body=b"x")  # not landing
    received = sqs_queue.receive(sqs, url, max_messages=10, wait_seconds=1, visibility_seconds=30)
    created = [c.key for m in received for c in parse_message(m["Body"]).created]
    assert created == ["landing/orders/2026/11/20/a b.jsonl"]  # the prefix filter keeps our own writes out
    assert sqs_queue.delete(sqs, url, [m["ReceiptHandle"] for m in received]) == []


def test_an_unreadable_message_ends_in_the_dead_letter_queue(settings):
    bootstrap(aws_clients(settings.region), infrastructure(settings, ["orders"]))
    sqs = boto3.client("sqs")
    url = sqs_queue.queue_url(sqs, settings.queue_name("orders"))
    dlq = sqs_queue.queue_url(sqs, settings.queue_name("orders") + "-dlq")
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="not an S3 event")
    for _ in range(settings.queue_max_receives + 1):  # never acknowledged, as the sensor does with such messages
        sqs_queue.receive(sqs, url, max_messages=10, wait_seconds=0, visibility_seconds=0)
    moved = sqs_queue.receive(sqs, dlq, max_messages=10, wait_seconds=1, visibility_seconds=30)
    assert [m["Body"] for m in moved] == ["not an S3 event"]


def test_foreign_notifications_on_the_bucket_are_kept(settings):
    clients = aws_clients(settings.region)
    bootstrap(clients, infrastructure(settings, ["orders"]))
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    other = sqs.create_queue(QueueName=f"{settings.queue_prefix}-someone-else")["QueueUrl"]
    other_arn = sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    config = s3.get_bucket_notification_configuration(Bucket=settings.bucket)
    config.pop("ResponseMetadata", None)
    config["QueueConfigurations"].append(
        {"Id": "someone-else", "QueueArn": other_arn, "Events": ["s3:ObjectRemoved:*"]}
    )
    s3.put_bucket_notification_configuration(Bucket=settings.bucket, NotificationConfiguration=config)
    again = bootstrap(clients, infrastructure(settings, ["orders", "customers"]))  # a second dataset
    assert [str(c) for c in again if c.action != "unchanged"] == [
        f"create     sqs queue {settings.queue_name('customers')}-dlq",
        f"create     sqs queue {settings.queue_name('customers')}",
        f"create     s3 notification s3://{settings.bucket}/landing/customers/* -> {settings.queue_name('customers')}",
    ]
    ids = {c["Id"] for c in s3.get_bucket_notification_configuration(Bucket=settings.bucket)["QueueConfigurations"]}
    assert ids == {"someone-else", "order-pipeline-orders-landing", "order-pipeline-customers-landing"}
    assert "no changes" in describe(bootstrap(clients, infrastructure(settings, ["orders", "customers"])))


def test_dry_run_lists_the_queue_and_notification_of_a_feed_declared_in_yaml(settings, capsys, monkeypatch):
    """The package's defs folder pointed at the tests' one (holding shipments/defs.yaml, no Python)."""
    from order_pipeline.datasets import registry
    from order_pipeline_tests.support.shipments import FEEDS_DEFS

    monkeypatch.setattr(registry, "product_defs_folder", lambda: FEEDS_DEFS)
    assert main(["aws", "bootstrap", "--dry-run"]) == 0
    planned = capsys.readouterr().out
    assert settings.queue_name("shipments") in planned and settings.queue_name("orders") in planned, planned
    assert settings.landing_root("shipments") in planned, planned  # the bucket notification's prefix


def test_the_topic_is_created_with_server_side_encryption(settings):
    """With the customer-managed key bootstrap keeps (not alias/aws/sns, to which CloudWatch alarms cannot publish)."""
    bootstrap(aws_clients(settings.region), infrastructure(settings, ["orders"]))
    sns = boto3.client("sns")
    name = infrastructure(settings, ["orders"]).topic_name
    (arn,) = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{name}")]
    key = sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"]
    assert key == f"alias/{name}" != "alias/aws/sns"
    assert boto3.client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
