"""The full-table checks: each run checks only the keys it merged and the dates it refreshed; the same contracts
over the whole tables run as their own job on a daily schedule, as asset checks beside the per-run ones."""

from __future__ import annotations

import dagster as dg
import pytest

from order_pipeline.components.full_checks import FULL_CHECKS_CRON, full_checks_job_name
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import OPTIONS, land_generated

FULL = {"orders_merge_key_unique_full", "daily_order_summary_counts_every_order_full"}


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path, warehouse_env):
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=warehouse_env) as running:
        yield running


def test_the_full_table_checks_run_on_their_own_schedule_and_pass_after_loads(pipeline):
    defs = pipeline.defs()
    schedule = defs.resolve_schedule_def(f"{full_checks_job_name(ORDERS)}_daily")
    assert schedule.cron_schedule == FULL_CHECKS_CRON
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    job = defs.resolve_job_def(full_checks_job_name(ORDERS))
    assert schedule.job_name == job.name

    land_generated(pipeline, OPTIONS)
    first = pipeline.tick()
    assert first.runs and not first.failed_runs
    # the per-run checks: scoped to what each run merged and refreshed
    unique = pipeline.instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey(["warehouse", "orders"]), "orders_merge_key_unique")]
    )
    (execution,) = unique.values()
    evaluation = execution.event.dagster_event.event_specific_data
    assert evaluation.passed and evaluation.metadata["keys_checked"].value > 0

    result = job.execute_in_process(instance=pipeline.instance)

    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == FULL
    assert all(e.passed for e in evaluations.values())
    figures = evaluations["daily_order_summary_counts_every_order_full"].metadata
    assert figures["summary_orders"].value == figures["orders"].value > 0
    assert evaluations["orders_merge_key_unique_full"].metadata["scope"].value == "whole table"

    # a duplicate no run merged (written by hand): only the full-table check can see it
    first_id = 'SELECT MIN("order_id") FROM "orders"'
    pipeline.query(f'INSERT INTO "orders" SELECT * FROM "orders" WHERE "order_id" = ({first_id})')
    again = {e.check_name: e for e in job.execute_in_process(instance=pipeline.instance).get_asset_check_evaluations()}
    assert not again["orders_merge_key_unique_full"].passed
    assert again["orders_merge_key_unique_full"].metadata["duplicate_keys"].value == 1
    assert not again["daily_order_summary_counts_every_order_full"].passed  # the summary counts it once
