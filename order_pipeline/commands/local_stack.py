"""`order-pipeline local up|down|env`: the local S3/SNS/SQS endpoint, provisioned idempotently.

`up` starts moto's server on loopback (unless ours already answers: the process in this state folder's pid file,
a moto server for this port, is the one listening on it) and provisions it with the same bootstrap code that
provisions AWS (`order-pipeline aws bootstrap`): bucket, SNS topic, each dataset's landing event queue with its
dead-letter queue and the bucket notification; plus, locally only, an "inbox" queue subscribed to the topic so
published notifications can be read back. A port answered by anything else (another user's or another checkout's
endpoint) is refused, never used. `down` stops exactly the process recorded in the pid file, if it is still a moto
server for this port. Nothing in the pipeline knows it is local: the environment printed by
`env` points boto3 at the endpoint through the standard AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from order_pipeline.aws.bootstrap import bootstrap
from order_pipeline.commands.aws_bootstrap import aws_clients, infrastructure
from order_pipeline.commands.dagster_instance import Storage, instance_config, write_instance
from order_pipeline.commands.moto_server import (
    endpoint_is_up,
    is_moto_server,
    listens_on,
    port_accepts,
    start_moto_server,
)
from order_pipeline.config import load_settings
from order_pipeline.datasets.registry import registered_datasets

LOCAL_ACCOUNT = "123456789012"  # moto's default account id


@dataclass(frozen=True)
class LocalStack:
    state_dir: Path = Path(".local")
    host: str = "127.0.0.1"
    port: int = 5050
    bucket: str = "order-pipeline-local"
    region: str = "us-east-1"
    topic: str = "order-pipeline-events"
    queue: str = "order-pipeline-events-inbox"  # subscribed to the topic: notifications can be read back
    queue_prefix: str = "order-pipeline"  # landing event queues: <prefix>-<dataset>-landing
    # each gets its landing event queue: the Python declarations and the defs.yaml ones
    datasets: tuple[str, ...] = field(default_factory=lambda: tuple(d.name for d in registered_datasets()))
    dagster_storage: Storage = "sqlite"  # "postgres": the instance's storage as deploy/dagster.yaml names it

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "moto.pid"

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{LOCAL_ACCOUNT}:{self.topic}"

    def environment(self) -> dict[str, str]:
        """What a process needs to use the local stack (credentials are moto's dummies, not secrets)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "ORDER_PIPELINE_BUCKET": self.bucket,
            "ORDER_PIPELINE_SNS_TOPIC_ARN": self.topic_arn,
            "ORDER_PIPELINE_QUEUE_PREFIX": self.queue_prefix,
            "ORDER_PIPELINE_STATE_DIR": str(self.state_dir),
            "DAGSTER_HOME": str((self.state_dir / "dagster").resolve()),
        }


def provision(stack: LocalStack) -> dict[str, str]:
    """Bootstrap the local endpoint like AWS, plus the inbox queue; returns their names. Safe to repeat."""
    clients = aws_clients(
        stack.region, endpoint_url=stack.endpoint, aws_access_key_id="local", aws_secret_access_key="local"
    )
    settings = load_settings(
        {
            "ORDER_PIPELINE_BUCKET": stack.bucket,
            "ORDER_PIPELINE_QUEUE_PREFIX": stack.queue_prefix,
            "AWS_REGION": stack.region,
        }
    )
    bootstrap(clients, infrastructure(settings, stack.datasets, topic_name=stack.topic))
    sns, sqs = clients.sns, clients.sqs
    topic_arn = stack.topic_arn
    queue_url = sqs.create_queue(QueueName=stack.queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscribed = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]}
    if queue_arn not in subscribed:
        sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "false"}
        )
    return {"bucket": stack.bucket, "topic_arn": topic_arn, "queue_url": queue_url}


def write_dagster_home(stack: LocalStack) -> Path:
    """DAGSTER_HOME under the state folder: runs, sensor cursors and event logs survive restarts. The instance is
    the production one (deploy/dagster.yaml), on SQLite there unless the stack asks for PostgreSQL."""
    home = stack.state_dir / "dagster"
    write_instance(
        home,
        instance_config(stack.dagster_storage),
        header=f"Written by `order-pipeline local up` from deploy/dagster.yaml ({stack.dagster_storage}).",
    )
    return home


class PortTaken(RuntimeError):
    """The stack's port is answered by a server this state folder did not start."""


def _recorded_pid(stack: LocalStack) -> int | None:
    try:
        return int(stack.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def our_endpoint(stack: LocalStack) -> bool:
    """Whether the server on the stack's port is the one this state folder started."""
    pid = _recorded_pid(stack)
    return pid is not None and is_moto_server(pid, stack.port) and listens_on(pid, stack.port)


def up(stack: LocalStack) -> dict[str, str]:
    """Start (or find running) this state folder's endpoint and provision it. Raises PortTaken when another
    server answers on the port."""
    (stack.state_dir / "logs").mkdir(parents=True, exist_ok=True)
    if not our_endpoint(stack):
        if endpoint_is_up(stack.endpoint) or port_accepts(stack.host, stack.port):
            raise PortTaken(
                f"port {stack.port} on {stack.host} is answered by a server that {stack.state_dir} did not start "
                f"(another checkout's or another user's?): stop it, or choose another port (--port)"
            )
        start_moto_server(
            stack.host, stack.port, log_path=stack.state_dir / "logs" / "moto.log", pid_file=stack.pid_file
        )
    write_dagster_home(stack)
    created = provision(stack)
    (stack.state_dir / "stack.json").write_text(json.dumps(created, indent=2))
    return created


def down(stack: LocalStack) -> bool:
    """Stop the endpoint process this state folder started; True if one was stopped. A pid file naming a process
    that is no moto server for this port (it ended, and its id was reused) is removed, and nothing is stopped."""
    pid = _recorded_pid(stack)
    stack.pid_file.unlink(missing_ok=True)
    if pid is None or not is_moto_server(pid, stack.port):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)  # started in its own session: its group is exactly what we started
    except ProcessLookupError:
        return False
    return True


def shell_exports(stack: LocalStack) -> str:
    return "\n".join(f"export {name}={value}" for name, value in stack.environment().items())


def stack_from_args(args: argparse.Namespace) -> LocalStack:
    """The local stack of `local`'s (and `demo`'s, `run`'s) arguments."""
    return LocalStack(state_dir=Path(args.state_dir), port=args.port, dagster_storage=args.dagster_storage)


def run(args: argparse.Namespace) -> int:
    """`order-pipeline local up|down|env`."""
    stack = stack_from_args(args)
    if args.action == "up":
        try:
            created = up(stack)
        except PortTaken as taken:
            print(f"local up: {taken}", file=sys.stderr)
            return 1
        print(
            f"local endpoint {stack.endpoint}: bucket {created['bucket']}, topic {created['topic_arn']}, "
            f"queue {created['queue_url']}"
        )
    elif args.action == "down":
        print("stopped" if down(stack) else "nothing to stop")
    else:
        print(shell_exports(stack))
    return 0
