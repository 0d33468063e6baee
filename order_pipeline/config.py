"""The one place that reads the environment.

`load_settings()` is called when definitions are built or a command starts — never at import time.
Every variable is listed in README.md (Configuration). The same code runs on the local default and on AWS:
only these values differ. boto3 finds a local endpoint through the standard AWS_ENDPOINT_URL itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal

from order_pipeline.conversion.limits import DEFAULT_LIMITS, LIMIT_NAMES, ConversionLimits
from order_pipeline.layout import LakeLayout
from order_pipeline.warehouse.duckdb_memory import DEFAULT_MEMORY_LIMIT

WarehouseBackend = Literal["duckdb", "redshift"]
SensorMode = Literal["events", "listing"]


@dataclass(frozen=True)
class Settings:
    bucket: str = "order-pipeline-local"
    landing_prefix: str = "landing"  # files land under <landing_prefix>/<dataset>/
    lake_prefix: str = "lake"
    quarantine_prefix: str = "quarantine"
    state_dir: Path = Path(".local")
    warehouse: WarehouseBackend = "duckdb"
    duckdb_path: Path | None = None  # default: <state_dir>/warehouse.duckdb
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT  # DuckDB's memory_limit: above it a load spills to disk
    # ORDER_PIPELINE_REDSHIFT_<NAME> values as given (name lower-cased, the password never): the RedshiftResource
    # declares those fields, their types and defaults (components/redshift_resource.py)
    redshift: dict[str, str] = field(default_factory=dict)
    sns_topic_arn: str | None = None
    cloudwatch_namespace: str | None = None  # loads and reconciles publish metrics there; unset: no metrics
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
    max_files_per_batch: int = 500  # a date's files loaded per warehouse transaction (and its ledger rows) at most
    max_lag_minutes: int = 120  # a file loaded later than this after landing fails the completeness check
    warehouse_freshness_hours: int = 24  # a warehouse table not refreshed for this long fails its freshness policy
    ui_base_url: str = "http://127.0.0.1:3000"
    region: str = "us-east-1"
    # What one input file may cost (conversion/limits.py; README "Conversion limits"): a breach quarantines it.
    max_decompressed_bytes: int = DEFAULT_LIMITS.max_decompressed_bytes
    max_compression_ratio: int = DEFAULT_LIMITS.max_compression_ratio
    ratio_grace_bytes: int = DEFAULT_LIMITS.ratio_grace_bytes
    max_record_bytes: int = DEFAULT_LIMITS.max_record_bytes
    max_nesting_depth: int = DEFAULT_LIMITS.max_nesting_depth
    max_row_group_bytes: int = DEFAULT_LIMITS.max_row_group_bytes
    max_parquet_columns: int = DEFAULT_LIMITS.max_parquet_columns
    document_chunk_bytes: int = DEFAULT_LIMITS.document_chunk_bytes
    max_drift_paths: int = DEFAULT_LIMITS.max_drift_paths
    max_evolved_columns: int = DEFAULT_LIMITS.max_evolved_columns
    notify_raw_preview: bool = False  # records_rejected notifications add a preview of the raw record (masked)

    def __post_init__(self) -> None:
        if self.duckdb_path is None:
            object.__setattr__(self, "duckdb_path", self.state_dir / "warehouse.duckdb")

    @property
    def layout(self) -> LakeLayout:
        """Every object key in the bucket (steps and commands take this, not the settings)."""
        return LakeLayout(self.bucket, self.landing_prefix, self.lake_prefix, self.quarantine_prefix)

    @property
    def conversion_limits(self) -> ConversionLimits:
        return ConversionLimits(**{name: getattr(self, name) for name in LIMIT_NAMES})

    def landing_root(self, dataset: str) -> str:
        return self.layout.landing_root(dataset)

    def queue_name(self, dataset: str) -> str:
        """The SQS queue S3 sends the dataset's landing events to (its dead-letter queue adds `-dlq`)."""
        return f"{self.queue_prefix}-{dataset}-landing"


def _flag(value: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"must be true or false, not {value!r}")


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    return parse


# How each setting is read from its ORDER_PIPELINE_<NAME> variable (the name is the field's, upper-cased, unless
# given here); a setting whose variable is unset or empty keeps the dataclass's default: each default is written once.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "state_dir": Path,
    "duckdb_path": Path,
    "partition_start": date.fromisoformat,
    "warehouse": _choice("duckdb", "redshift"),
    "sensor_mode": _choice("events", "listing"),
    "notify_raw_preview": _flag,
}
_NOT_FROM_ENV = {"redshift", "region"}
_REDSHIFT_PREFIX = "ORDER_PIPELINE_REDSHIFT_"
_REDSHIFT_SECRET = "ORDER_PIPELINE_REDSHIFT_PASSWORD"  # read through dg.EnvVar only


def _variable(field_name: str) -> str:
    return f"ORDER_PIPELINE_{field_name.upper()}"


def _read(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in fields(Settings):
        if item.name in _NOT_FROM_ENV:
            continue
        name = _variable(item.name)
        raw = env.get(name)
        if raw in (None, ""):
            continue
        parse = _PARSERS.get(item.name, int if isinstance(item.default, int) else str)
        try:
            values[item.name] = parse(raw)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from error
    return values


def variable_names() -> list[str]:
    """Every ORDER_PIPELINE_* variable the settings read but the Redshift ones (README lists each one)."""
    return [_variable(f.name) for f in fields(Settings) if f.name not in _NOT_FROM_ENV]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ORDER_PIPELINE_* variables (and the standard AWS region variables), with local defaults."""
    env = os.environ if environ is None else environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    redshift = {
        name.removeprefix(_REDSHIFT_PREFIX).lower(): value
        for name, value in env.items()
        if name.startswith(_REDSHIFT_PREFIX) and name != _REDSHIFT_SECRET and value
    }
    values = _read(env)
    if region:
        values["region"] = region
    return Settings(redshift=redshift, **values)
