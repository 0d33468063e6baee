"""A whole Dagster deployment for end-to-end tests: the real code server, webserver and daemon, started as
`order-pipeline run` starts them (`order_pipeline.commands.dagster_processes`), on the production instance
(`deploy/dagster.yaml`: PostgreSQL storage, run queue, pools, run monitoring, run retries) over a local AWS
endpoint of its own, so a test may pause or kill any of them without touching the rest of the suite.

The PostgreSQL cluster is the suite's (the Redshift endpoint's): each deployment gets a database of its own.
Everything started here is stopped when the context exits, whatever happened; the process logs are copied to
`test-artifacts/<name>/` for CI to keep.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import boto3
import dagster as dg
import pytest
from botocore.exceptions import ClientError

from order_pipeline.commands.dagster_instance import instance_config, write_instance
from order_pipeline.commands.dagster_processes import DagsterProcesses, stop_process
from order_pipeline.commands.generate import GenerateOptions, generated_files
from order_pipeline.commands.local_stack import LocalStack, provision
from order_pipeline.commands.moto_server import free_port, start_moto_server
from order_pipeline.components.resources import warehouse_resource
from order_pipeline.config import Settings, load_settings
from order_pipeline.warehouse.base import WarehouseBusy
from order_pipeline_tests.redshift_endpoint.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
IN_PROGRESS = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# What the tests change in deploy/dagster.yaml, and why: the monitoring daemon looks every 5 seconds instead of
# every minute, and a run that cannot start within 2 minutes fails (a test must not wait 5).
TEST_INSTANCE = {"run_monitoring": {"poll_interval_seconds": 5, "start_timeout_seconds": 120}}
T = TypeVar("T")


@dataclass
class Deployment:
    processes: DagsterProcesses
    moto: subprocess.Popen
    endpoint: str
    env: dict[str, str]
    inbox_url: str
    instance: dg.DagsterInstance

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=AWS_ENV["AWS_REGION"],
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        )

    # -- data ---------------------------------------------------------------------------------------

    def land(self, key: str, body: bytes) -> str:
        return self.client("s3").put_object(Bucket=self.settings.bucket, Key=key, Body=body)["ETag"].strip('"')

    @contextmanager
    def events_lost(self) -> Iterator[None]:
        """Files landed inside send no S3 event (the bucket's notifications are off meanwhile): the landing sensor
        never hears of them, as when an event is lost; only the reconcile finds them."""
        s3, bucket = self.client("s3"), self.settings.bucket
        config = s3.get_bucket_notification_configuration(Bucket=bucket)
        config.pop("ResponseMetadata", None)
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
        try:
            yield
        finally:
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)

    def land_generated(self, options: GenerateOptions) -> dict[str, bytes]:
        files = generated_files(options, self.settings.landing_root("orders").rstrip("/"))
        for key, content in files.items():
            self.land(key, content)
        return files

    def landed_versions(self) -> set[tuple[str, str]]:
        """(key, ETag) of every object under the orders landing root."""
        pages = (
            self.client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.settings.bucket, Prefix=self.settings.landing_root("orders"))
        )
        return {(item["Key"], item["ETag"].strip('"')) for page in pages for item in page.get("Contents", ())}

    def query(self, sql: str, wait_seconds: float | None = None) -> list[tuple]:
        """A query on the warehouse; with `wait_seconds`, WarehouseBusy when a run holds it longer."""
        db = (
            warehouse_resource(self.settings)
            .process_config_and_initialize()
            .open(self.client("s3"), wait_seconds=wait_seconds)
        )
        try:
            return db.query(sql)
        finally:
            db.close()

    def ledger_versions(self, wait_seconds: float | None = None) -> list[tuple[str, str]]:
        """(key, etag) of every ledger row, duplicates included (none before the first load creates it)."""
        exists = self.query(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'file_ledger'", wait_seconds
        )[0][0]
        return [tuple(row) for row in self.query('SELECT key, etag FROM "file_ledger"', wait_seconds)] if exists else []

    # -- Dagster ------------------------------------------------------------------------------------

    def runs(self) -> list[dg.DagsterRun]:
        return list(self.instance.get_runs())

    def in_progress(self) -> list[dg.DagsterRun]:
        return list(self.instance.get_runs(filters=dg.RunsFilter(statuses=list(IN_PROGRESS))))

    def set_pool_limit(self, pool: str, limit: int) -> None:
        """The pool's slots, as the UI's Deployment > Concurrency page sets them: with 0, steps of the pool wait in
        their runs (granularity op) until the limit is raised."""
        self.instance.event_log_storage.set_concurrency_slots(pool, limit)

    def events(self, run_id: str, event_type: dg.DagsterEventType) -> list[dg.EventLogEntry]:
        return list(self.instance.all_logs(run_id, of_type=event_type))

    def notifications(self) -> list[dict]:
        """Every message published to the topic since the last call, read back from the subscribed queue."""
        sqs, messages = self.client("sqs"), []
        while batch := sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            for message in batch:
                envelope = json.loads(message["Body"])
                messages.append({"subject": envelope.get("Subject"), **json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=self.inbox_url, ReceiptHandle=message["ReceiptHandle"])
        return messages

    def wait_until_loaded(self, timeout: float) -> None:
        """Until every landed file version has a ledger row and no run is queued or in progress."""
        landed = self.landed_versions()

        def done() -> bool:
            if self.in_progress():
                return False
            try:
                return landed <= set(self.ledger_versions(wait_seconds=2))
            except WarehouseBusy:
                return False

        wait_until(done, timeout, f"{len(landed)} landed files in the ledger and no run in progress", self)

    def step_pid(self, run_id: str, step_key: str) -> int | None:
        """The process of a run's step, once the step has started in it (the multiprocess executor's worker)."""
        started = self.events(run_id, dg.DagsterEventType.STEP_START)
        pids = [e.dagster_event.pid for e in started if e.dagster_event and e.dagster_event.step_key == step_key]
        return pids[-1] if pids else None

    def step_keys(self, run_id: str, event_type: dg.DagsterEventType) -> list[str]:
        return [e.dagster_event.step_key for e in self.events(run_id, event_type) if e.dagster_event]

    def load_in_progress(self, partition: str) -> bool:
        """Whether a warehouse load of the partition has started and not ended (its crash guard's object)."""
        settings = self.settings
        try:
            self.client("s3").head_object(
                Bucket=settings.bucket, Key=settings.layout.load_attempts_key("orders", partition)
            )
            return True
        except ClientError:
            return False

    # -- faults -------------------------------------------------------------------------------------

    def pause_endpoint(self) -> None:
        os.kill(self.moto.pid, signal.SIGSTOP)

    def resume_endpoint(self) -> None:
        os.kill(self.moto.pid, signal.SIGCONT)

    def log_tail(self, lines: int = 40) -> str:
        tails = []
        for log in sorted(self.processes.log_dir.glob("*.log")):
            tails.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails)


def wait_until(
    condition: Callable[[], T], timeout: float, what: str, deployment: Deployment | None = None, interval: float = 2.0
) -> T:
    """Poll `condition` until it returns something truthy (returned); fail with the process logs after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            logs = f"\n{deployment.log_tail()}" if deployment else ""
            raise AssertionError(f"not reached within {timeout:.0f}s: {what}{logs}")
        time.sleep(interval)


def create_database(postgres: PostgresServer) -> str:
    """A fresh database for one Dagster instance. The suite's cluster runs SERIALIZABLE by default (Redshift's
    isolation, for the Redshift endpoint): Dagster's storage gets PostgreSQL's default, READ COMMITTED."""
    name = f"dagster_{uuid.uuid4().hex[:12]}"
    with postgres.connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation TO 'read committed'")
    return name


@contextmanager
def dagster_deployment(
    name: str,
    state_dir: Path,
    postgres: PostgresServer,
    *,
    partition_start: date,
    env: Mapping[str, str] | None = None,
    instance_overrides: Mapping[str, Any] | None = None,
) -> Iterator[Deployment]:
    """Start a deployment (endpoint, code server, webserver, daemon) and stop all of it on exit."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_dir = state_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    port = free_port()
    moto = start_moto_server("127.0.0.1", port, log_path=log_dir / "moto.log")
    processes: DagsterProcesses | None = None
    instance: dg.DagsterInstance | None = None
    environ = pytest.MonkeyPatch()  # the test process's own environment, restored on exit
    try:
        endpoint = f"http://127.0.0.1:{port}"
        bucket = f"deploy-{uuid.uuid4().hex[:10]}"
        stack = LocalStack(
            state_dir=state_dir,
            port=port,
            bucket=bucket,
            topic=f"{bucket}-events",
            queue=f"{bucket}-inbox",
            queue_prefix=bucket,
        )
        created = provision(stack)
        home = state_dir / "dagster"
        ui_port = free_port()
        full_env = {
            **AWS_ENV,
            "AWS_ENDPOINT_URL": endpoint,
            "ORDER_PIPELINE_BUCKET": bucket,
            "ORDER_PIPELINE_QUEUE_PREFIX": bucket,
            "ORDER_PIPELINE_SNS_TOPIC_ARN": created["topic_arn"],
            "ORDER_PIPELINE_STATE_DIR": str(state_dir),
            "ORDER_PIPELINE_DUCKDB_PATH": str(state_dir / "wh.duckdb"),
            "ORDER_PIPELINE_PARTITION_START": partition_start.isoformat(),
            "ORDER_PIPELINE_SENSOR_INTERVAL_SECONDS": "5",
            "ORDER_PIPELINE_QUEUE_VISIBILITY_SECONDS": "30",
            "ORDER_PIPELINE_UI_BASE_URL": f"http://127.0.0.1:{ui_port}",
            "DAGSTER_PG_HOST": postgres.host,
            "DAGSTER_PG_PORT": str(postgres.port),
            "DAGSTER_PG_DB": create_database(postgres),
            "DAGSTER_PG_USER": postgres.superuser,
            "DAGSTER_PG_PASSWORD": postgres.password,
            **(env or {}),
        }
        write_instance(
            home,
            instance_config("postgres", {**TEST_INSTANCE, **(instance_overrides or {})}),
            header=f"deploy/dagster.yaml with the test's overrides ({name})",
        )
        for variable, value in full_env.items():
            if variable.startswith("DAGSTER_PG_"):  # for `instance` below
                environ.setenv(variable, value)
        processes = DagsterProcesses(home=home, env=full_env, log_dir=log_dir, ui_port=ui_port, code_port=free_port())
        instance = dg.DagsterInstance.from_config(str(home))
        processes.start()
        yield Deployment(
            processes=processes,
            moto=moto,
            endpoint=endpoint,
            env=full_env,
            inbox_url=created["queue_url"],
            instance=instance,
        )
    finally:
        if processes is not None:
            processes.stop_all()
        try:
            os.kill(moto.pid, signal.SIGCONT)  # a paused endpoint cannot act on SIGTERM
        except ProcessLookupError:
            pass
        stop_process(moto, timeout=10)
        if instance is not None:
            instance.dispose()
        environ.undo()
        shutil.copytree(log_dir, ARTIFACTS / name / "logs", dirs_exist_ok=True)
