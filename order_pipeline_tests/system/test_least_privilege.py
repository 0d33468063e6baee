"""The shipped IAM policies (deploy/iam/), proven on a local endpoint that enforces IAM: the pipeline loads end
to end as a user holding exactly the Dagster process policy, and that user cannot write outside the lake and
quarantine prefixes (and cannot delete from the quarantine); the Redshift COPY role reads the lake's Parquet parts and
its COPY manifests and nothing else (not the conversion records).

`aws bootstrap` is an admin action: it runs as an admin user, and so do the producers landing files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import dagster as dg
import orjson
import pytest
from botocore.exceptions import ClientError

from order_pipeline.aws.bootstrap import Clients, bootstrap
from order_pipeline.commands.aws_bootstrap import infrastructure
from order_pipeline.commands.aws_policy import policy_values, render_policy
from order_pipeline.commands.dagster_processes import stop_process
from order_pipeline.commands.generate import GenerateOptions, generated_files
from order_pipeline.commands.headless import drain
from order_pipeline.commands.moto_server import endpoint_is_up, free_port
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import Settings, load_settings
from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline.warehouse.sql_copy import copy_manifest
from order_pipeline_tests.support.dagster_deployment import wait_until
from order_pipeline_tests.support.env import patched_environ
from order_pipeline_tests.support.scenarios import assert_matches, decode

ROOT = Path(__file__).resolve().parents[2]
IAM = ROOT / "deploy" / "iam"
ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
ADMIN_BOOTSTRAP_REQUESTS = 3  # unauthenticated: create the admin user, give it its policy, create its keys
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TODAY = datetime.now(timezone.utc).date()
OPTIONS = GenerateOptions(
    count=150, days=2, files_per_day=2, seed=5, update_share=0.2, start_date=TODAY - timedelta(days=2)
)


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str

    def client(self, endpoint: str, service: str):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=None,
        )


@pytest.fixture(scope="module")
def iam_endpoint(tmp_path_factory) -> Iterator[str]:
    """A moto server enforcing IAM after the admin's bootstrap requests (support/iam_endpoint.py)."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("iam") / "moto.log", "ab")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "order_pipeline_tests.support.iam_endpoint", "127.0.0.1", str(port)],
        cwd=ROOT,
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(ADMIN_BOOTSTRAP_REQUESTS)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: process.poll() is not None or endpoint_is_up(url), 60, "the IAM endpoint answers", interval=0.2
        )
        assert process.poll() is None, "the IAM endpoint exited"
        yield url
    finally:
        stop_process(process, timeout=10)
        log.close()


@pytest.fixture(scope="module")
def admin(iam_endpoint) -> Keys:
    iam = Keys("bootstrap", "bootstrap").client(iam_endpoint, "iam")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(ALLOW_ALL))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    return Keys(key["AccessKeyId"], key["SecretAccessKey"])


def user_with_policy(iam, name: str, policy: dict) -> Keys:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Keys(key["AccessKeyId"], key["SecretAccessKey"])


def shipped(name: str, settings: Settings) -> dict:
    return render_policy((IAM / name).read_text(), policy_values(settings, ACCOUNT))


@dataclass
class Loaded:
    endpoint: str
    settings: Settings
    admin: Keys
    pipeline: Keys
    files: dict[str, bytes]
    ticks: list
    inbox_url: str

    def query(self, sql: str) -> list[tuple]:
        db = open_warehouse(self.settings, self.admin.client(self.endpoint, "s3"))
        try:
            return db.query(sql)
        finally:
            db.close()


@pytest.fixture(scope="module")
def loaded(iam_endpoint, admin, tmp_path_factory) -> Iterator[Loaded]:
    """Bootstrap as admin, land orders (and two bad files) as admin, then tick and run as the pipeline user."""
    state = tmp_path_factory.mktemp("least-privilege")
    bucket = f"iam-{uuid.uuid4().hex[:10]}"
    env = {
        "ORDER_PIPELINE_BUCKET": bucket,
        "ORDER_PIPELINE_QUEUE_PREFIX": bucket,
        "ORDER_PIPELINE_SNS_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:{bucket}-events",
        "ORDER_PIPELINE_STATE_DIR": str(state),
        "ORDER_PIPELINE_DUCKDB_PATH": str(state / "wh.duckdb"),
        "ORDER_PIPELINE_PARTITION_START": OPTIONS.first_day().isoformat(),
        "AWS_REGION": REGION,
    }
    settings = load_settings(env)
    clients = Clients(*(admin.client(iam_endpoint, name) for name in ("s3", "sqs", "sns", "sts")))
    bootstrap(clients, infrastructure(settings, ["orders"]))
    inbox = clients.sqs.create_queue(QueueName=f"{bucket}-inbox")["QueueUrl"]
    inbox_arn = clients.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    clients.sns.subscribe(TopicArn=settings.sns_topic_arn, Protocol="sqs", Endpoint=inbox_arn)
    pipeline = user_with_policy(
        admin.client(iam_endpoint, "iam"), f"dagster-{bucket}", shipped("dagster-process.json", settings)
    )

    files = generated_files(OPTIONS, settings.landing_root("orders").rstrip("/"))
    day = OPTIONS.first_day()
    mixed = list(generate_orders(5, seed=9, start_date=day, id_prefix="MIX"))
    files[f"{settings.landing_root('orders')}{day:%Y/%m/%d}/with-a-bad-record.jsonl"] = b"".join(
        orjson.dumps(record) + b"\n" for record in [*mixed, {**mixed[0], "order_id": "BAD-1", "total": "NaN?"}]
    )
    broken = f"{settings.landing_root('orders')}{day:%Y/%m/%d}/broken.jsonl.gz"
    for key, content in [*files.items(), (broken, b"not gzip at all")]:
        clients.s3.put_object(Bucket=bucket, Key=key, Body=content)

    as_the_user = {
        **env,
        "AWS_ENDPOINT_URL": iam_endpoint,
        "AWS_ACCESS_KEY_ID": pipeline.access_key_id,
        "AWS_SECRET_ACCESS_KEY": pipeline.secret_access_key,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_SESSION_TOKEN": None,
    }  # an IAM user's keys are sent without a session token
    with patched_environ(as_the_user), dg.instance_for_test() as instance:
        _, ticks = drain(build_definitions(load_settings()), instance, "s3_order_files_sensor")
    yield Loaded(iam_endpoint, settings, admin, pipeline, files, ticks, inbox)


def denied(call) -> bool:
    """True when the call is refused for want of permission (moto's SQS JSON errors carry only the status)."""
    try:
        call()
    except ClientError as error:
        return (
            error.response["Error"]["Code"] in {"AccessDenied", "AccessDeniedException", "AuthorizationError"}
            or error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        )
    return False


def test_the_pipeline_loads_end_to_end_as_a_user_with_exactly_the_shipped_policy(loaded):
    runs = [run for tick in loaded.ticks for run in tick.runs]
    assert runs and not [tick for tick in loaded.ticks if tick.failed_runs]
    records = [r for content in loaded.files.values() for r in decode(content) if r["order_id"] != "BAD-1"]
    assert_matches(loaded, records)
    statuses = dict(loaded.query('SELECT key, status FROM "file_ledger"'))
    assert statuses.pop(next(k for k in statuses if k.endswith("broken.jsonl.gz"))) == "quarantined"
    assert set(statuses) == set(loaded.files) and set(statuses.values()) == {"loaded"}
    # the quarantine got the unreadable file and the rejected record, written by the pipeline user
    s3 = loaded.admin.client(loaded.endpoint, "s3")
    quarantined = [
        item["Key"]
        for item in s3.list_objects_v2(Bucket=loaded.settings.bucket, Prefix=loaded.settings.quarantine_prefix)[
            "Contents"
        ]
    ]
    assert any("broken.jsonl.gz" in key for key in quarantined)
    assert any(key.endswith(".rejects.jsonl") and "with-a-bad-record" in key for key in quarantined)
    # SQS: every landing event was received and acknowledged; SNS: the loads were announced
    sqs = loaded.admin.client(loaded.endpoint, "sqs")
    landing_queue = sqs.get_queue_url(QueueName=loaded.settings.queue_name("orders"))["QueueUrl"]
    waiting = sqs.get_queue_attributes(QueueUrl=landing_queue, AttributeNames=["All"])["Attributes"]
    assert (waiting["ApproximateNumberOfMessages"], waiting["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    events = []
    while batch := sqs.receive_message(QueueUrl=loaded.inbox_url, MaxNumberOfMessages=10).get("Messages", []):
        events += [json.loads(json.loads(m["Body"])["Message"])["event_type"] for m in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=loaded.inbox_url, ReceiptHandle=message["ReceiptHandle"])
    assert {"partition_loaded", "file_quarantined", "records_rejected"} <= set(events)


def test_the_pipeline_user_cannot_write_outside_the_lake_and_quarantine(loaded):
    s3 = loaded.pipeline.client(loaded.endpoint, "s3")
    bucket, settings = loaded.settings.bucket, loaded.settings
    landed, root = next(iter(loaded.files)), settings.landing_root("orders")
    assert denied(lambda: s3.put_object(Bucket=bucket, Key=f"{root}forged.jsonl", Body=b"{}"))
    assert denied(lambda: s3.delete_object(Bucket=bucket, Key=landed))
    assert denied(lambda: s3.put_object(Bucket=bucket, Key="elsewhere/x.json", Body=b"{}"))
    assert denied(lambda: s3.put_object(Bucket=bucket, Key=f"{settings.lake_prefix}x.json", Body=b"{}"))  # "lakex"
    s3.put_object(Bucket=bucket, Key=f"{settings.lake_prefix}/probe.json", Body=b"{}")  # the control: allowed
    # the quarantine is written, never deleted from (issue 25, item 7)
    quarantined = loaded.admin.client(loaded.endpoint, "s3").list_objects_v2(
        Bucket=bucket, Prefix=settings.quarantine_prefix
    )["Contents"]
    assert quarantined and denied(lambda: s3.delete_object(Bucket=bucket, Key=quarantined[0]["Key"]))
    sqs, sns = loaded.pipeline.client(loaded.endpoint, "sqs"), loaded.pipeline.client(loaded.endpoint, "sns")
    assert denied(lambda: sqs.receive_message(QueueUrl=loaded.inbox_url))
    assert denied(
        lambda: sqs.send_message(
            QueueUrl=sqs.get_queue_url(QueueName=settings.queue_name("orders"))["QueueUrl"], MessageBody="forged"
        )
    )
    assert denied(lambda: sns.create_topic(Name="another-topic"))


def test_the_copy_role_reads_the_lake_and_its_manifests_and_nothing_else(loaded):
    admin_iam = loaded.admin.client(loaded.endpoint, "iam")
    # Redshift assumes the role in AWS (deploy/iam/redshift-copy-trust.json); here the admin does. moto cannot
    # evaluate a service principal for a user's request, so this role trusts the admin alone: what is proven is
    # the permission policy, exactly as shipped.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = admin_iam.create_role(RoleName=f"copy-{loaded.settings.bucket}", AssumeRolePolicyDocument=json.dumps(trust))
    admin_iam.put_role_policy(
        RoleName=role["Role"]["RoleName"],
        PolicyName="copy",
        PolicyDocument=json.dumps(shipped("redshift-copy.json", loaded.settings)),
    )
    credentials = loaded.admin.client(loaded.endpoint, "sts").assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="redshift"
    )["Credentials"]
    copy = boto3.client(
        "s3",
        endpoint_url=loaded.endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    bucket, lake = loaded.settings.bucket, loaded.settings.lake_prefix
    parts = [
        item
        for item in copy.list_objects_v2(Bucket=bucket, Prefix=f"{lake}/orders/")["Contents"]
        if item["Key"].endswith(".parquet")
    ]
    assert parts
    # a COPY manifest as the Redshift backend writes it (by the pipeline user, under the lake's _manifests/)
    manifest_key = f"{lake}/_manifests/orders/probe/orders.manifest"
    loaded.pipeline.client(loaded.endpoint, "s3").put_object(
        Bucket=bucket,
        Key=manifest_key,
        Body=copy_manifest([(f"s3://{bucket}/{p['Key']}", p["Size"]) for p in parts]).encode(),
    )
    manifest = json.loads(copy.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    for entry in manifest["entries"]:
        key = entry["url"].removeprefix(f"s3://{bucket}/")
        assert len(copy.get_object(Bucket=bucket, Key=key)["Body"].read()) == entry["meta"]["content_length"]
    assert denied(lambda: copy.get_object(Bucket=bucket, Key=next(iter(loaded.files))))  # not the landing files
    # nor the conversion records (they hold raw rejected records) or anything else of the lake but parts and manifests
    records = loaded.admin.client(loaded.endpoint, "s3").list_objects_v2(Bucket=bucket, Prefix=f"{lake}/_conversions/")
    assert records["Contents"]
    for item in records["Contents"]:
        assert denied(lambda key=item["Key"]: copy.get_object(Bucket=bucket, Key=key)), item["Key"]
    assert denied(lambda: copy.put_object(Bucket=bucket, Key=f"{lake}/forged.parquet", Body=b"x"))
    assert denied(lambda: copy.delete_object(Bucket=bucket, Key=parts[0]["Key"]))
