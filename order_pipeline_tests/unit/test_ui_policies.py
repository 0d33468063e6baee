"""What the UI is told: freshness policies on the warehouse tables (from their setting), the files a run was
launched for, partitions from the configured start, and the reconcile leaving dates to their runs in progress."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg

from order_pipeline.components.landing_sensors import FILES_TAG_CHARS, dates_in_progress, files_tag
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.config import load_settings
from order_pipeline.landing.keys import FileVersion

ROOT = "landing/orders/"


def version(key: str) -> FileVersion:
    return FileVersion(bucket="b", key=key, etag="e", size=1, last_modified=datetime(2026, 11, 1, tzinfo=timezone.utc))


def test_every_warehouse_table_fails_freshness_after_the_configured_hours():
    graph = build_definitions(load_settings({"ORDER_PIPELINE_WAREHOUSE_FRESHNESS_HOURS": "6"})).resolve_asset_graph()
    policies = {key.to_user_string(): graph.get(key).freshness_policy for key in graph.get_all_asset_keys()}
    in_warehouse = {k for k in policies if k.startswith(("warehouse/", "analytics/"))}
    assert in_warehouse == {"warehouse/orders", "warehouse/order_items", "analytics/daily_order_summary"}
    for key in in_warehouse:
        assert policies[key].fail_window.to_timedelta() == timedelta(hours=6), key  # a time-window policy
    assert all(policies[k] is None for k in policies if k not in in_warehouse)  # raw and lake: no promise


def test_partitions_start_at_the_configured_first_day():
    graph = build_definitions(load_settings({"ORDER_PIPELINE_PARTITION_START": "2026-11-01"})).resolve_asset_graph()
    partitions = graph.get(dg.AssetKey(["warehouse", "orders"])).partitions_def
    assert partitions.get_first_partition_key() == "2026-11-01"


def test_the_files_tag_names_the_files_below_the_landing_root_and_counts_the_rest():
    assert files_tag([version(f"{ROOT}2026/11/01/b.jsonl"), version(f"{ROOT}2026/11/01/a.jsonl")], ROOT) == (
        "2026/11/01/a.jsonl, 2026/11/01/b.jsonl"
    )
    many = [version(f"{ROOT}2026/11/01/orders-{n:03d}.jsonl") for n in range(100)]
    tag = files_tag(many, ROOT)
    shown, rest = tag.rsplit(", … (+", 1)
    assert len(shown) <= FILES_TAG_CHARS and shown.startswith("2026/11/01/orders-000.jsonl")
    assert int(rest.rstrip(" more)")) == 100 - len(shown.split(", "))


def test_the_reconcile_leaves_dates_with_a_run_queued_or_in_progress_to_it():
    job = build_definitions(load_settings({})).resolve_job_def("orders_load_job")
    with dg.instance_for_test() as instance:
        for partition, status in (
            ("2026-11-01", dg.DagsterRunStatus.NOT_STARTED),
            ("2026-11-02", dg.DagsterRunStatus.STARTING),
            ("2026-11-03", dg.DagsterRunStatus.STARTED),
            ("2026-11-04", dg.DagsterRunStatus.SUCCESS),
            ("2026-11-05", dg.DagsterRunStatus.FAILURE),
            ("2026-11-06", dg.DagsterRunStatus.CANCELED),
        ):
            instance.create_run_for_job(job, tags={"dagster/partition": partition}, status=status)
        assert dates_in_progress(instance, "orders_load_job") == {"2026-11-01", "2026-11-02", "2026-11-03"}
        assert dates_in_progress(instance, "another_job") == set()
