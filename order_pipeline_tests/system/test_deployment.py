"""The e2e scenario through a real deployment: code server, webserver and daemon on the production instance
(deploy/dagster.yaml on PostgreSQL). The daemon ticks the real sensor, queues the runs, launches them in the
code server within the per-dataset and pool limits; nothing here drives Dagster by hand."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest
from dagster_postgres import PostgresRunStorage
from playwright.sync_api import expect

from order_pipeline.commands.generate import GenerateOptions
from order_pipeline_tests.support.browser import chromium_page, open_ui
from order_pipeline_tests.support.dagster_deployment import ARTIFACTS, dagster_deployment
from order_pipeline_tests.support.scenarios import assert_matches, decode

TODAY = datetime.now(timezone.utc).date()
OPTIONS = GenerateOptions(
    count=240, days=3, files_per_day=2, seed=11, update_share=0.25, start_date=TODAY - timedelta(days=3)
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, redshift_endpoint):
    """One deployment for the module: orders land, the daemon loads them; the tests read what it did."""
    with dagster_deployment(
        "deployment",
        tmp_path_factory.mktemp("deployment"),
        redshift_endpoint.postgres,
        partition_start=OPTIONS.first_day(),
    ) as deployment:
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
        (run.run_id, run.status) for run in runs
    ]
    # launched by the daemon from the sensors, tagged with their dataset and files
    assert {run.tags.get("dagster/sensor_name") for run in runs} <= {
        "s3_order_files_sensor",
        "s3_order_files_reconcile",
    }
    assert {run.tags["order_pipeline/dataset"] for run in runs} == {"orders"}
    root = deployment.settings.landing_root("orders")
    for key in files:
        tagged = [
            run
            for run in runs
            if run.tags.get("dagster/partition") == partition_of(key)
            and key[len(root) :] in run.tags["order_pipeline/files"]
        ]
        assert tagged, f"no run of {partition_of(key)} names {key} in its files tag"


def test_the_raw_asset_shows_each_landed_file_in_its_partition(loaded):
    deployment, files = loaded
    events = deployment.instance.fetch_materializations(dg.AssetKey(["raw", "orders_json"]), limit=100).records
    assert sorted((e.partition_key, e.asset_materialization.metadata["uri"].value) for e in events) == sorted(
        (partition_of(key), f"s3://{deployment.settings.bucket}/{key}") for key in files
    )
    loaded_partitions = deployment.instance.get_materialized_partitions(dg.AssetKey(["warehouse", "orders"]))
    assert loaded_partitions == {partition_of(key) for key in files}


def sensor_tick_times(deployment, sensor: str) -> set[str]:
    """The sensor's recent ticks as the UI writes their times (UTC, en-US)."""
    from dagster._core.scheduler.instigation import InstigatorType  # not exported; the tick API needs the state

    (state,) = [
        s
        for s in deployment.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        if s.instigator_name == sensor
    ]
    ticks = deployment.instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=50)
    return {datetime.fromtimestamp(t.timestamp, timezone.utc).strftime("%b %-d, %-I:%M:%S %p") for t in ticks}


def test_the_ui_in_a_browser_shows_lineage_partitions_the_sensor_tick_and_a_check(loaded):
    deployment, files = loaded
    ui, shots = deployment.processes.ui_url, ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        # lineage, raw -> lake -> warehouse -> analytics, laid out left to right
        open_ui(page, f"{ui}/assets/analytics/daily_order_summary?view=lineage&lineageScope=upstream&lineageDepth=5")
        layers = [
            ["orders_json"],
            ["orders_parquet", "order_items_parquet"],
            ["orders", "order_items"],
            ["daily_order_summary"],
        ]
        boxes = {
            name: page.locator("[class*='AssetNode_assetNodeBox']").filter(
                has=page.locator(f"[class*='AssetNode_assetName'] [data-tooltip='{name}']")
            )
            for layer in layers
            for name in layer
        }
        for box in boxes.values():
            expect(box).to_be_visible()
        lefts = [[boxes[name].bounding_box()["x"] for name in layer] for layer in layers]
        assert all(max(before) < min(after) for before, after in zip(lefts, lefts[1:], strict=False)), lefts
        # the raw (external) asset shows its latest landed files, every asset its latest event
        for box in boxes.values():
            expect(box).to_contain_text(re.compile(r"Latest event\s*.+ ago"))
        page.screenshot(path=shots / "lineage.png")

        # warehouse/orders: one partition per day from the first landing date to today, each landed one loaded
        open_ui(page, f"{ui}/assets/warehouse/orders?view=partitions")
        days = (TODAY - OPTIONS.first_day()).days + 1
        landed = len({partition_of(key) for key in files})
        expect(page.get_by_text(f"{days} Partitions Selected")).to_be_visible()
        expect(page.get_by_text(f"Materialized ({landed})")).to_be_visible()
        expect(page.get_by_text(f"Missing ({days - landed})")).to_be_visible()
        expect(page.get_by_text("Failed (0)")).to_be_visible()
        page.screenshot(path=shots / "warehouse-orders-partitions.png")

        # the landing sensor: running, and its latest tick is one the daemon recorded
        open_ui(page, f"{ui}/locations/__repository__@order_pipeline/sensors/s3_order_files_sensor")
        latest = page.locator("tr").filter(has=page.get_by_text("Latest tick", exact=True))
        expect(latest).to_contain_text(re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}:\d{2} [AP]M"))
        shown = re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}:\d{2} [AP]M", latest.inner_text())[0]
        assert shown in sensor_tick_times(deployment, "s3_order_files_sensor")
        expect(page.get_by_text("Running", exact=True).first).to_be_visible()
        page.screenshot(path=shots / "landing-sensor.png")

        # a check result, and the freshness policy of the table
        open_ui(page, f"{ui}/assets/warehouse/orders?view=checks")
        expect(page.get_by_text("orders_merge_key_unique").first).to_be_visible()
        expect(page.get_by_text("Passed", exact=True)).to_be_visible()
        page.screenshot(path=shots / "warehouse-orders-checks.png")
        open_ui(page, f"{ui}/assets/warehouse/orders")
        expect(page.get_by_text("Freshness policy").first).to_be_visible()
        expect(page.get_by_text("Passing", exact=True).first).to_be_visible()
        page.screenshot(path=shots / "warehouse-orders.png")

        # a run names the files it was launched for
        run = next(run for run in deployment.runs() if run.tags.get("order_pipeline/trigger"))
        open_ui(page, f"{ui}/runs/{run.run_id}")
        page.get_by_text("View tags and config").click()
        expect(page.get_by_text(run.tags["order_pipeline/files"]).first).to_be_visible()
        page.screenshot(path=shots / "run-tags.png")
