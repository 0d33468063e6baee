"""Lag and completeness as an operator sees them in the Dagster UI (issue 21), in a real browser against a real
deployment (support/dagster_deployment.py: code server, webserver and daemon; the warehouse on DuckDB).

A file lands and the landing sensor loads it: the date's warehouse partition shows the lag of the file (p50, max:
the `load_history` view's lag) and its landed vs loaded files. A second file of the date lands while the bucket sends
no event (a lost event): the landing sensor never hears of it, the reconcile finds it once it is older than the
minimum age and records the date's completeness check as failed, naming the file, and requests a run. That run's
load waits while the test looks (the warehouse pool has no slot), then loads it, and the check passes.

What the UI shows meanwhile: the reconcile's run is created in the tick that failed the check, so the check's
current status for the date is "In Progress" (the run will evaluate it again), and the failure naming the file is in
the check's execution history for the date. Nothing here drives Dagster's runs by hand.
"""

from __future__ import annotations

import re
from datetime import timedelta

import dagster as dg
from playwright.sync_api import Page, expect

from order_pipeline.components.policies import WAREHOUSE_POOL
from order_pipeline_tests.support.browser import chromium_page, metadata_value, open_tab, open_ui
from order_pipeline_tests.support.dagster_deployment import ARTIFACTS, Deployment, dagster_deployment, wait_until
from order_pipeline_tests.support.scenarios import TODAY, land_day

CHECK = "orders_files_loaded"
RECONCILE = "s3_order_files_reconcile"
# the reconcile looks every 5 s and takes files older than 30 s: the landing sensor's (every 5 s) are loaded by then
ENV = {"ORDER_PIPELINE_RECONCILE_INTERVAL_SECONDS": "5", "ORDER_PIPELINE_RECONCILE_MIN_AGE_SECONDS": "30"}
SHOTS = ARTIFACTS / "browser-completeness"


def shown_number(page: Page, label: str) -> float:
    value = metadata_value(page, label)
    expect(value).to_have_text(re.compile(r"^\s*\d+(\.\d+)?\s*$"))
    return float(value.inner_text())


def open_check(page: Page, ui: str, tab: str) -> None:
    open_ui(page, f"{ui}/assets/warehouse/orders?view=checks&checkDetail={CHECK}")
    try:
        open_tab(page, tab)
    except Exception:
        page.screenshot(path=SHOTS / "failure.png", full_page=True)
        (SHOTS / "failure.html").write_text(page.content())
        raise


def reconcile_runs(deployment: Deployment, day: str) -> list[dg.DagsterRun]:
    return [
        run
        for run in deployment.runs()
        if run.tags.get("dagster/sensor_name") == RECONCILE and run.tags.get("dagster/partition") == day
    ]


def test_the_partition_shows_lag_and_counts_and_the_check_fails_for_an_unloaded_file_until_the_reconcile(
    tmp_path, redshift_endpoint
):
    day = TODAY.isoformat()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (
        dagster_deployment(
            "ui-completeness", tmp_path, redshift_endpoint.postgres, partition_start=TODAY - timedelta(days=1), env=ENV
        ) as deployment,
        chromium_page() as page,
    ):
        ui = deployment.processes.ui_url
        partition_page = f"{ui}/assets/warehouse/orders?view=partitions&partition={day}"

        # 1. a file lands, the landing sensor loads it: lag and landed/loaded counts on the date's partition
        (first_key,) = land_day(deployment, TODAY, "FIRST", (3,))
        deployment.wait_until_loaded(timeout=180)
        ((lag,),) = deployment.query('SELECT lag_seconds FROM "load_history"')
        open_ui(page, partition_page)
        expect(page.get_by_text("Latest materialization")).to_be_visible()
        expect(metadata_value(page, "files_landed_for_date")).to_have_text("1")
        expect(metadata_value(page, "files_loaded_for_date")).to_have_text("1")
        expect(metadata_value(page, "files_not_loaded_for_date")).to_have_text("0")
        p50, worst = shown_number(page, "lag_p50_seconds"), shown_number(page, "lag_max_seconds")
        assert p50 == worst == round(lag, 3) and 0 < lag < 180, (p50, worst, lag)  # one file: its lag, both
        page.screenshot(path=SHOTS / "1-partition-lag-and-counts.png", full_page=True)

        # 2. a file the landing sensor never hears of; the reconcile's run waits for the warehouse while we look
        deployment.set_pool_limit(WAREHOUSE_POOL, 0)
        with deployment.events_lost():
            (late_key,) = land_day(deployment, TODAY, "SECOND", (2,))
        late_uri = f"s3://{deployment.settings.bucket}/{late_key}"
        (reconcile_run,) = wait_until(
            lambda: reconcile_runs(deployment, day), 120, f"the reconcile's run for {day}", deployment
        )
        assert late_key.rsplit("/", 1)[1] in reconcile_run.tags["order_pipeline/files"]
        assert late_key not in {key for key, _ in deployment.ledger_versions()}  # not loaded while we look

        open_check(page, ui, "Execution history")
        failed = page.locator("tr").filter(has_text="Failed").filter(has_text=late_uri)
        expect(failed).to_have_count(1)
        expect(failed).to_contain_text(f"1 landed file(s) of {day} not in the ledger")
        expect(failed).to_contain_text(day)
        expect(page.locator("tr").filter(has_text="Passed").filter(has_text=late_uri)).to_have_count(0)
        page.screenshot(path=SHOTS / "2-check-failed-naming-the-file.png", full_page=True)
        open_tab(page, "Partitions")
        expect(page.get_by_text("Passed (0)", exact=True)).to_be_visible()  # the date is not passing now
        expect(page.get_by_text("In Progress (1)", exact=True)).to_be_visible()  # the reconcile's run re-checks it
        page.screenshot(path=SHOTS / "3-check-partitions-during-the-gap.png", full_page=True)

        # 3. the reconcile's run loads it: the check passes, the partition counts both files
        deployment.set_pool_limit(WAREHOUSE_POOL, 1)
        deployment.wait_until_loaded(timeout=180)
        assert deployment.instance.get_run_by_id(reconcile_run.run_id).status == dg.DagsterRunStatus.SUCCESS

        open_check(page, ui, "Overview")
        result = page.get_by_text("Evaluation result", exact=True).locator("xpath=..")
        expect(result).to_contain_text("Passed")
        expect(page.get_by_text("every landed file is in the ledger, none loaded late").first).to_be_visible()
        expect(metadata_value(page, "files_landed")).to_have_text("2")
        expect(metadata_value(page, "files_loaded")).to_have_text("2")
        expect(metadata_value(page, "files_missing")).to_have_text("0")
        open_tab(page, "Execution history")
        newest = page.locator("tbody tr").first  # newest first: the reconcile's run passed it after the failure
        expect(newest).to_contain_text("Passed")
        expect(newest).to_contain_text(day)
        expect(failed).to_have_count(1)
        open_tab(page, "Partitions")
        expect(page.get_by_text("Passed (1)", exact=True)).to_be_visible()
        expect(page.get_by_text("Failed (0)", exact=True)).to_be_visible()
        expect(page.get_by_text("In Progress (0)", exact=True)).to_be_visible()
        page.screenshot(path=SHOTS / "4-check-passed-after-the-reconcile.png", full_page=True)

        open_ui(page, partition_page)
        expect(metadata_value(page, "files_landed_for_date")).to_have_text("2")
        expect(metadata_value(page, "files_loaded_for_date")).to_have_text("2")
        expect(metadata_value(page, "files_not_loaded_for_date")).to_have_text("0")
        expect(metadata_value(page, "sources")).to_contain_text(late_uri)
        expect(metadata_value(page, "sources")).not_to_contain_text(first_key)  # lag/sources: this run's files
        assert shown_number(page, "lag_max_seconds") >= 30  # the late file waited for the reconcile's minimum age
        page.screenshot(path=SHOTS / "5-partition-after-the-reconcile.png", full_page=True)
