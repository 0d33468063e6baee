"""The e2e scenario through a real deployment: code server, webserver and daemon on the production instance
(deploy/dagster.yaml on PostgreSQL). The daemon ticks the real sensor, queues the runs, launches them in the
code server within the per-dataset and pool limits; nothing here drives Dagster by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest
from dagster_postgres import PostgresRunStorage

from order_pipeline.commands.generate import GenerateOptions
from order_pipeline_tests.e2e.test_orders_flow import assert_matches, decode
from order_pipeline_tests.support.dagster_deployment import dagster_deployment

pytestmark = pytest.mark.e2e
TODAY = datetime.now(timezone.utc).date()
OPTIONS = GenerateOptions(count=240, days=3, files_per_day=2, seed=11, update_share=0.25,
                          start_date=TODAY - timedelta(days=3))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, redshift_endpoint):
    """One deployment for the module: orders land, the daemon loads them; the tests read what it did."""
    with dagster_deployment("deployment", tmp_path_factory.mktemp("deployment"), redshift_endpoint.postgres,
                            partition_start=OPTIONS.first_day()) as deployment:
        files = deployment.land_generated(OPTIONS)
        deployment.wait_until_loaded(timeout=900)
        yield deployment, files


def partition_of(key: str) -> str:
    return "-".join(key.split("/")[2:5])


def test_the_daemon_loads_every_landed_order_on_a_postgres_backed_instance(loaded):
    deployment, files = loaded
    assert isinstance(deployment.instance.run_storage, PostgresRunStorage)
    assert_matches(deployment, [record for content in files.values() for record in decode(content)])
    ledger = deployment.ledger_versions()
    assert sorted(ledger) == sorted(deployment.landed_versions())  # one row per landed file version

    runs = deployment.runs()
    assert runs and all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs), [
        (run.run_id, run.status) for run in runs]
    # launched by the daemon from the sensors, tagged with their dataset and files
    assert {run.tags.get("dagster/sensor_name") for run in runs} <= {"s3_order_files_sensor",
                                                                     "s3_order_files_reconcile"}
    assert {run.tags["order_pipeline/dataset"] for run in runs} == {"orders"}
    root = deployment.settings.landing_root("orders")
    for key in files:
        tagged = [run for run in runs if run.tags.get("dagster/partition") == partition_of(key)
                  and key[len(root):] in run.tags["order_pipeline/files"]]
        assert tagged, f"no run of {partition_of(key)} names {key} in its files tag"


def test_the_raw_asset_shows_each_landed_file_in_its_partition(loaded):
    deployment, files = loaded
    events = deployment.instance.fetch_materializations(dg.AssetKey(["raw", "orders_json"]), limit=100).records
    assert sorted((e.partition_key, e.asset_materialization.metadata["uri"].value) for e in events) == sorted(
        (partition_of(key), f"s3://{deployment.settings.bucket}/{key}") for key in files)
    loaded_partitions = deployment.instance.get_materialized_partitions(dg.AssetKey(["warehouse", "orders"]))
    assert loaded_partitions == {partition_of(key) for key in files}
