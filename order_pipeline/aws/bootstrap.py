"""`order-pipeline aws bootstrap`: the AWS resources the pipeline needs, created or updated idempotently.

Per dataset: an SQS queue for its landing events with a dead-letter queue (redrive after `max_receives`
deliveries) and a policy letting the bucket send to it, and a prefix-filtered S3 event notification on the
bucket. Once: the bucket (if missing) and the SNS topic for pipeline notifications, encrypted with a
customer-managed KMS key (aws/topic_key.py) so that CloudWatch alarms can publish to it. Every resource is compared
with what exists; only differences are applied, so a second run changes nothing, and `dry_run` only reports.
Bucket notification entries other than ours are kept as they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from order_pipeline.aws.bootstrap_change import Action, Change
from order_pipeline.aws.cloudwatch_alarms import Monitoring, alarms, ensure_alarms, ensure_email_subscription
from order_pipeline.aws.topic_key import ensure_topic_key, key_alias

__all__ = ["Action", "Change", "Clients", "Infrastructure", "LandingQueue", "Monitoring", "bootstrap", "describe"]
EVENTS = ["s3:ObjectCreated:*"]
RETENTION_SECONDS = 14 * 24 * 3600  # the longest SQS allows: a long outage of the pipeline loses no event


@dataclass(frozen=True)
class LandingQueue:
    dataset: str
    name: str  # the queue; its dead-letter queue is <name>-dlq
    prefix: str  # landing/<dataset>/: the notification's key filter

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"

    @property
    def notification_id(self) -> str:
        return f"order-pipeline-{self.dataset}-landing"


@dataclass(frozen=True)
class Infrastructure:
    bucket: str
    region: str
    topic_name: str
    queues: tuple[LandingQueue, ...]
    visibility_seconds: int = 300
    max_receives: int = 5
    monitoring: Monitoring | None = None  # CloudWatch alarms per dataset (a namespace is configured)
    email: str | None = None  # subscribed to the topic (`--email`)


@dataclass(frozen=True)
class Clients:
    s3: Any
    sqs: Any
    sns: Any
    sts: Any
    cloudwatch: Any = None  # needed when alarms are wanted
    kms: Any = None  # the topic's key


def _queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def queue_policy(queue_arn: str, bucket: str, account: str) -> dict[str, Any]:
    """Only this bucket, in this account, may send to the queue."""
    return {
        "Version": "2012-10-17",
        "Id": "order-pipeline-landing-events",
        "Statement": [
            {
                "Sid": "S3LandingEvents",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        ],
    }


def _same(current: str | None, wanted: str) -> bool:
    if current is None:
        return False
    try:
        return json.loads(current) == json.loads(wanted)
    except ValueError:
        return current == wanted


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str], dry_run: bool) -> Change:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        if not dry_run:
            sqs.create_queue(QueueName=name, Attributes=attributes)
        return Change("create", f"sqs queue {name}")
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    differing = {k: v for k, v in attributes.items() if not _same(current.get(k), v)}
    if not differing:
        return Change("unchanged", f"sqs queue {name}")
    if not dry_run:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=differing)
    return Change("update", f"sqs queue {name}", ", ".join(sorted(differing)))


def _ensure_bucket(s3: Any, bucket: str, region: str, dry_run: bool) -> Change:
    try:
        s3.head_bucket(Bucket=bucket)
        return Change("unchanged", f"s3 bucket {bucket}")
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    if not dry_run:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
    return Change("create", f"s3 bucket {bucket}")


def _ensure_topic(
    sns: Any, name: str, region: str, account: str, key: tuple[str, str | None], dry_run: bool
) -> tuple[str, Change]:
    """`key` is the topic key's (alias, ARN or None when not created yet): the topic is encrypted with it (alerts may
    name files and fields, issue 20), and a topic still on another key (e.g. alias/aws/sns) is moved to it."""
    alias, key_arn = key
    arn = f"arn:aws:sns:{region}:{account}:{name}"
    try:
        current = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId")
    except sns.exceptions.NotFoundException:
        if not dry_run:
            arn = sns.create_topic(Name=name, Attributes={"KmsMasterKeyId": alias})["TopicArn"]
        return arn, Change("create", f"sns topic {arn}")
    if current in (alias, key_arn) or (key_arn and current == key_arn.rsplit("/", 1)[-1]):
        return arn, Change("unchanged", f"sns topic {arn}")
    if not dry_run:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=alias)
    return arn, Change("update", f"sns topic {arn}", f"KmsMasterKeyId {current or '(none)'} -> {alias}")


def _rule_value(entry: dict[str, Any]) -> str:
    rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return "".join(r["Value"] for r in rules if r["Name"].lower() == "prefix")


def _ensure_notifications(s3: Any, infra: Infrastructure, arns: dict[str, str], dry_run: bool) -> list[Change]:
    config = s3.get_bucket_notification_configuration(Bucket=infra.bucket)
    config.pop("ResponseMetadata", None)
    entries = list(config.get("QueueConfigurations", []))
    changes: list[Change] = []
    for queue in infra.queues:
        wanted = {
            "Id": queue.notification_id,
            "QueueArn": arns[queue.name],
            "Events": EVENTS,
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": queue.prefix}]}},
        }
        existing = next((e for e in entries if e.get("Id") == queue.notification_id), None)
        resource = f"s3 notification s3://{infra.bucket}/{queue.prefix}* -> {queue.name}"
        if (
            existing is not None
            and existing.get("QueueArn") == wanted["QueueArn"]
            and sorted(existing.get("Events", [])) == EVENTS
            and _rule_value(existing) == queue.prefix
        ):
            changes.append(Change("unchanged", resource))
            continue
        entries = [e for e in entries if e.get("Id") != queue.notification_id] + [wanted]
        changes.append(Change("create" if existing is None else "update", resource))
    if not dry_run and any(c.action != "unchanged" for c in changes):
        config["QueueConfigurations"] = entries
        s3.put_bucket_notification_configuration(Bucket=infra.bucket, NotificationConfiguration=config)
    return changes


def bootstrap(clients: Clients, infra: Infrastructure, *, dry_run: bool = False) -> list[Change]:
    """Create or update everything; returns one Change per resource, `unchanged` ones included."""
    account = clients.sts.get_caller_identity()["Account"]
    changes = [_ensure_bucket(clients.s3, infra.bucket, infra.region, dry_run)]
    if clients.kms is None:
        raise ValueError("the topic's KMS key needs a KMS client")
    key_arn, key_change = ensure_topic_key(clients.kms, infra.topic_name, account, dry_run)
    changes.append(key_change)
    topic_key = (key_alias(infra.topic_name), key_arn)
    topic_arn, topic_change = _ensure_topic(clients.sns, infra.topic_name, infra.region, account, topic_key, dry_run)
    changes.append(topic_change)
    arns: dict[str, str] = {}
    for queue in infra.queues:
        dlq_arn = _queue_arn(infra.region, account, queue.dlq_name)
        arns[queue.name] = _queue_arn(infra.region, account, queue.name)
        changes.append(
            _ensure_queue(clients.sqs, queue.dlq_name, {"MessageRetentionPeriod": str(RETENTION_SECONDS)}, dry_run)
        )
        changes.append(
            _ensure_queue(
                clients.sqs,
                queue.name,
                {
                    "VisibilityTimeout": str(infra.visibility_seconds),
                    "MessageRetentionPeriod": str(RETENTION_SECONDS),
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": infra.max_receives}
                    ),
                    "Policy": json.dumps(queue_policy(arns[queue.name], infra.bucket, account)),
                },
                dry_run,
            )
        )
    if dry_run and changes[0].action == "create":
        changes.extend(
            Change("create", f"s3 notification s3://{infra.bucket}/{q.prefix}* -> {q.name}") for q in infra.queues
        )
    else:
        changes.extend(_ensure_notifications(clients.s3, infra, arns, dry_run))
    if infra.monitoring is not None:
        if clients.cloudwatch is None:
            raise ValueError("alarms are wanted (a CloudWatch namespace is configured) but no CloudWatch client given")
        wanted = alarms(infra.monitoring, [q.dataset for q in infra.queues], topic_arn)
        changes.extend(ensure_alarms(clients.cloudwatch, wanted, dry_run))
    if infra.email:
        changes.append(
            ensure_email_subscription(
                clients.sns, topic_arn, infra.email, topic_exists=topic_change.action != "create", dry_run=dry_run
            )
        )
    return changes


def describe(changes: Sequence[Change]) -> str:
    pending = [c for c in changes if c.action != "unchanged"]
    lines = [str(c) for c in changes]
    lines.append(f"{len(pending)} change(s)" if pending else "no changes: everything is as wanted")
    return "\n".join(lines)
