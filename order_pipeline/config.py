"""The one place that reads the environment.

`load_settings()` is called when definitions are built or a command starts — never at import time.
Every variable is listed in README.md (Configuration). The same code runs on the local default and on AWS:
only these values differ. boto3 finds a local endpoint through the standard AWS_ENDPOINT_URL itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from order_pipeline.layout import LakeLayout

WarehouseBackend = Literal["duckdb", "redshift"]
SensorMode = Literal["events", "listing"]


@dataclass(frozen=True)
class RedshiftSettings:
    host: str | None = None
    port: int = 5439
    database: str = "dev"
    user: str | None = None
    schema: str = "public"
    iam: bool = False
    cluster_identifier: str | None = None
    serverless_workgroup: str | None = None
    db_user: str | None = None
    ssl: bool = True
    copy_iam_role: str = ""  # the role Redshift assumes to read the lake for COPY


@dataclass(frozen=True)
class Settings:
    bucket: str = "order-pipeline-local"
    landing_prefix: str = "landing"  # files land under <landing_prefix>/<dataset>/
    lake_prefix: str = "lake"
    quarantine_prefix: str = "quarantine"
    state_dir: Path = Path(".local")
    warehouse: WarehouseBackend = "duckdb"
    duckdb_path: Path = Path(".local/warehouse.duckdb")
    redshift: RedshiftSettings = field(default_factory=RedshiftSettings)
    sns_topic_arn: str | None = None
    sensor_interval_seconds: int = 30
    sensor_mode: SensorMode = "events"  # S3 event notifications through SQS; "listing" polls date prefixes
    lookback_days: int = 3  # listing mode: days before the last covered date listed again
    backlog_dates_per_tick: int = 30  # landing dates compared with the ledger per tick while catching up
    queue_prefix: str = "order-pipeline"  # events mode: queue <prefix>-<dataset>-landing and its -dlq
    queue_max_messages: int = 500  # events mode: messages received per tick at most
    queue_wait_seconds: int = 1  # events mode: long-poll wait of a tick's first receive
    queue_visibility_seconds: int = 300  # a received message not acknowledged by then is delivered again
    queue_max_receives: int = 5  # deliveries before an unreadable message moves to the dead-letter queue
    reconcile_days: int = 35  # how far back the reconcile compares what landed with the ledger
    reconcile_interval_seconds: int = 3600
    reconcile_min_age_seconds: int = 900  # younger files are still the landing sensor's to load
    partition_start: date = date(2024, 1, 1)
    ui_base_url: str = "http://127.0.0.1:3000"
    region: str = "us-east-1"

    @property
    def layout(self) -> LakeLayout:
        """Every object key in the bucket (steps and commands take this, not the settings)."""
        return LakeLayout(self.bucket, self.landing_prefix, self.lake_prefix, self.quarantine_prefix)

    def landing_root(self, dataset: str) -> str:
        return self.layout.landing_root(dataset)

    def queue_name(self, dataset: str) -> str:
        """The SQS queue S3 sends the dataset's landing events to (its dead-letter queue adds `-dlq`)."""
        return f"{self.queue_prefix}-{dataset}-landing"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Integer settings read as ORDER_PIPELINE_<NAME>; their defaults are the dataclass's.
_INT_SETTINGS = ("backlog_dates_per_tick", "queue_max_messages", "queue_wait_seconds", "queue_visibility_seconds",
                 "queue_max_receives", "reconcile_days", "reconcile_interval_seconds", "reconcile_min_age_seconds")


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str:
    if value is None:
        return choices[0]
    if value not in choices:
        raise ValueError(f"ORDER_PIPELINE_{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ORDER_PIPELINE_* variables (and the standard AWS ones), with local defaults."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(f"ORDER_PIPELINE_{name}")
        return value if value not in (None, "") else default

    state_dir = Path(get("STATE_DIR", ".local") or ".local")
    warehouse = get("WAREHOUSE", "duckdb")
    if warehouse not in ("duckdb", "redshift"):
        raise ValueError(f"ORDER_PIPELINE_WAREHOUSE must be 'duckdb' or 'redshift', not {warehouse!r}")
    redshift = RedshiftSettings(
        host=get("REDSHIFT_HOST"),
        port=int(get("REDSHIFT_PORT", "5439") or 5439),
        database=get("REDSHIFT_DATABASE", "dev") or "dev",
        user=get("REDSHIFT_USER"),
        schema=get("REDSHIFT_SCHEMA", "public") or "public",
        iam=_flag(get("REDSHIFT_IAM"), False),
        cluster_identifier=get("REDSHIFT_CLUSTER_IDENTIFIER"),
        serverless_workgroup=get("REDSHIFT_WORKGROUP"),
        db_user=get("REDSHIFT_DB_USER"),
        ssl=_flag(get("REDSHIFT_SSL"), True),
        copy_iam_role=get("REDSHIFT_COPY_IAM_ROLE", "") or "",
    )
    return Settings(
        bucket=get("BUCKET", "order-pipeline-local") or "order-pipeline-local",
        landing_prefix=get("LANDING_PREFIX", "landing") or "landing",
        lake_prefix=get("LAKE_PREFIX", "lake") or "lake",
        quarantine_prefix=get("QUARANTINE_PREFIX", "quarantine") or "quarantine",
        state_dir=state_dir,
        warehouse=warehouse,  # type: ignore[arg-type]
        duckdb_path=Path(get("DUCKDB_PATH", str(state_dir / "warehouse.duckdb")) or ""),
        redshift=redshift,
        sns_topic_arn=get("SNS_TOPIC_ARN"),
        sensor_interval_seconds=int(get("SENSOR_INTERVAL_SECONDS", "30") or 30),
        sensor_mode=_choice(get("SENSOR_MODE"), "SENSOR_MODE", ("events", "listing")),  # type: ignore[arg-type]
        lookback_days=int(get("LOOKBACK_DAYS", "3") or 3),
        **{name: int(value) for name, value in ((name, get(name.upper())) for name in _INT_SETTINGS)
           if value is not None},
        partition_start=date.fromisoformat(get("PARTITION_START", "2024-01-01") or "2024-01-01"),
        queue_prefix=get("QUEUE_PREFIX", "order-pipeline") or "order-pipeline",
        ui_base_url=get("UI_BASE_URL", "http://127.0.0.1:3000") or "http://127.0.0.1:3000",
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
    )
