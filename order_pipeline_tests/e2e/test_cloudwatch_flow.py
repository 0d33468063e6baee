"""CloudWatch metrics through the real sensors and runs (issue 21, item 4): after a load, the date's files landed,
loaded, quarantined, dead-lettered and unloaded, its rows and the lag of the files loaded appear in the configured
namespace with the ledger's values; the reconcile publishes the same counts over its dates. CloudWatch being
unreachable fails neither the load (its materialization says the metrics were not published) nor the reconcile.

DuckDB only (the local_pipeline harness); the metrics come from the ledger whatever the warehouse."""

from __future__ import annotations

import uuid

import boto3
import dagster as dg
import pytest

from order_pipeline_tests.support.cloudwatch import read_metrics
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import TODAY, land_day

ORDERS_TABLE = dg.AssetKey(["warehouse", "orders"])


def shown(run: dg.ExecuteInProcessResult) -> dict:
    (event,) = [m for m in run.get_asset_materialization_events() if m.asset_key == ORDERS_TABLE]
    return {k: v.value for k, v in event.materialization.metadata.items()}


@pytest.fixture
def namespace() -> str:
    return f"OrderPipelineE2E/{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path, namespace, request):
    env = {"ORDER_PIPELINE_CLOUDWATCH_NAMESPACE": namespace, **getattr(request, "param", {})}
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as running:
        yield running


def test_a_loads_metrics_appear_with_the_ledgers_values_and_the_reconcile_counts_the_unloaded_file(pipeline, namespace):
    root = pipeline.settings.landing_root("orders")
    land_day(pipeline, TODAY, "GOOD", (3, 4))
    pipeline.land(f"{root}{TODAY:%Y/%m/%d}/broken.jsonl", b'{"order_id": "x-1", "status": \n')  # quarantined
    (run,) = pipeline.tick().runs
    assert run.success and shown(run)["cloudwatch_metrics"] == f"7 published to {namespace}"
    cloudwatch = boto3.client("cloudwatch")
    (lag,) = pipeline.query("SELECT MAX(lag_seconds) FROM load_history WHERE status = 'loaded'")[0]
    assert lag > 0
    assert read_metrics(cloudwatch, namespace, "orders", "load") == {
        "FilesLanded": 3.0,
        "FilesLoaded": 2.0,
        "FilesQuarantined": 1.0,
        "FilesDeadLettered": 0.0,
        "FilesUnloaded": 0.0,
        "RowsLoaded": 7.0,
        "LagSeconds": pytest.approx(lag, abs=1e-3),
    }

    # a file whose run never ran: the reconcile sees it unloaded (its metrics are published before its run loads it)
    land_day(pipeline, TODAY, "LATE", (2,))
    assert pipeline.tick(execute=False).requests
    reconciled = pipeline.reconcile()
    assert reconciled.partitions == [TODAY.isoformat()] and not reconciled.failed_runs
    by_reconcile = read_metrics(cloudwatch, namespace, "orders", "reconcile")
    assert by_reconcile.pop("LagSeconds") > 0  # the age of the unloaded file
    assert by_reconcile == {
        "FilesLanded": 4.0,
        "FilesLoaded": 2.0,
        "FilesQuarantined": 1.0,
        "FilesDeadLettered": 0.0,
        "FilesUnloaded": 1.0,
        "RowsLoaded": 7.0,
    }
    after = read_metrics(cloudwatch, namespace, "orders", "load")  # the reconcile's run loaded it
    assert (after["FilesLoaded"], after["FilesUnloaded"], after["RowsLoaded"]) == (3.0, 0.0, 9.0)


@pytest.mark.parametrize(
    "pipeline", [{"AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:9"}], indirect=True
)  # port 9: discard, closed
def test_cloudwatch_unreachable_fails_neither_the_load_nor_the_reconcile_and_the_materialization_says_so(
    pipeline, namespace
):
    land_day(pipeline, TODAY, "GOOD", (3,))
    (run,) = pipeline.tick().runs
    assert run.success
    assert shown(run)["cloudwatch_metrics"].startswith(f"NOT published to {namespace}: EndpointConnectionError")
    assert pipeline.query('SELECT COUNT(*) FROM "orders"') == [(3,)]
    # nor the reconcile: its tick (which raises on any error) requests the date and the run loads the file
    land_day(pipeline, TODAY, "LATE", (2,))
    assert pipeline.tick(execute=False).requests
    reconciled = pipeline.reconcile()
    assert reconciled.partitions == [TODAY.isoformat()] and not reconciled.failed_runs
    assert pipeline.query('SELECT COUNT(*) FROM "orders"') == [(5,)]
