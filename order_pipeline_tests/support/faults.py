"""Faults injected into the real code: a warehouse that fails or kills its process after staging, an S3 client
that kills its process while the lake Parquet of one file is written, and a run of the partition job in a child
process that such a fault kills.

Each double subclasses the real resource or backend and changes one thing; nothing of ours is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import build_resources
from order_pipeline.components.warehouse_resource import DuckDBWarehouseResource
from order_pipeline.config import load_settings
from order_pipeline.warehouse.base import LoadBatch, LoadResult, Warehouse
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

REPO = Path(__file__).resolve().parents[2]


class FaultyDuckDBWarehouse(DuckDBWarehouse):
    """The real DuckDB backend; while `marker` exists, the first load fails (or kills its process) after staging."""

    def __init__(
        self, path: str, s3_client: Any, *, fault: str, marker: str, observations: str, on_load: int = 1
    ) -> None:
        super().__init__(path, s3_client)
        self._fault, self._marker, self._observations = fault, Path(marker), observations
        self._on_load, self._loads = on_load, 0  # the fault fires in this connection's `on_load`-th load

    def load_batch(self, batch: LoadBatch, *, after_stage=None) -> LoadResult:
        if not self._marker.exists() and self._observations:
            # what a load after the fault starts from: the failed transaction must have left nothing behind
            seen = {
                "orders": self.query('SELECT COUNT(*) FROM "orders"')[0][0],
                "ledger": self.query('SELECT COUNT(*) FROM "file_ledger"')[0][0],
            }
            with open(self._observations, "a") as out:
                out.write(json.dumps(seen) + "\n")

        self._loads += 1

        def hook() -> None:
            if after_stage is not None:
                after_stage()
            if self._marker.exists() and self._loads == self._on_load:
                self._marker.unlink()
                if self._fault == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                raise ConnectionResetError("warehouse connection reset mid-load (injected)")

        return super().load_batch(batch, after_stage=hook)


class FaultyDuckDBResource(DuckDBWarehouseResource):
    fault: str
    marker: str
    observations: str = ""
    on_load: int = 1

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        return FaultyDuckDBWarehouse(
            self.path,
            s3_client,
            fault=self.fault,
            marker=self.marker,
            observations=self.observations,
            on_load=self.on_load,
        )


def faulty_definitions(
    fault: str, marker: Path, observations: Path | None = None, *, on_load: int = 1
) -> dg.Definitions:
    settings = load_settings()
    resources = build_resources(settings)
    resources["warehouse"] = FaultyDuckDBResource(
        path=str(settings.duckdb_path),
        fault=fault,
        marker=str(marker),
        observations=str(observations or ""),
        on_load=on_load,
    )
    return build_definitions(settings, resources=resources)


def kill_after_stage_definitions(marker: str) -> dg.Definitions:
    """The definitions whose warehouse kills its process after staging, once, while `marker` exists."""
    return faulty_definitions("kill", Path(marker))


def kill_in_second_batch_definitions(marker: str) -> dg.Definitions:
    """As kill_after_stage_definitions, but in the run's second load batch: the first one has committed."""
    return faulty_definitions("kill", Path(marker), on_load=2)


class KillingS3Resource(S3Resource):
    """The real S3 resource, whose client kills its process when the lake Parquet of `victim` is put."""

    victim: str

    def get_client(self) -> Any:
        client = super().get_client()

        def kill(params: dict, **_: Any) -> None:
            key = params.get("Key", "")
            if key.startswith("lake/") and self.victim in key and key.endswith(".parquet"):
                os.kill(os.getpid(), signal.SIGKILL)

        client.meta.events.register("provide-client-params.s3.PutObject", kill)
        return client


def killing_definitions(victim: str) -> dg.Definitions:
    settings = load_settings()
    resources = build_resources(settings)
    resources["s3"] = KillingS3Resource(region_name=settings.region, victim=victim)
    return build_definitions(settings, resources=resources)


KILLED_RUN = textwrap.dedent("""
    import sys
    import dagster as dg
    from order_pipeline.components.keys import job_name
    from order_pipeline.datasets.orders import ORDERS
    from order_pipeline_tests.support import faults

    defs = getattr(faults, sys.argv[1])(sys.argv[2])
    with dg.instance_for_test() as instance:
        defs.resolve_job_def(job_name(ORDERS)).execute_in_process(instance=instance, partition_key=sys.argv[3])
    print("the run finished: it should have been killed")
""")


def run_killed(definitions: str, argument: str, partition: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """The orders job for `partition`, run in a child process on the definitions `definitions(argument)` of this
    module (`kill_after_stage_definitions` or `killing_definitions`); the caller asserts it was killed."""
    return subprocess.run(
        [sys.executable, "-c", KILLED_RUN, definitions, argument, partition],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
