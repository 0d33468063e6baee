"""A partition's load runs the checks scoped to what it loaded; the whole-table checks (cost growing with the
warehouse's history) run only in their own job."""

from order_pipeline.components.full_checks import FULL_SUFFIX, full_checks_job_name
from order_pipeline.components.keys import job_name
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders import ORDERS


def _check_names(defs, name: str) -> set[str]:
    job = defs.resolve_job_def(name)
    return {key.name for key in job.asset_layer.asset_graph.asset_check_keys}


def test_the_load_job_runs_no_full_table_check_and_the_full_checks_job_runs_them():
    defs = build_definitions(load_settings({}))
    load_checks = _check_names(defs, job_name(ORDERS))
    assert "orders_merge_key_unique" in load_checks
    assert not [name for name in load_checks if name.endswith(FULL_SUFFIX)], load_checks
    full = defs.resolve_job_def(full_checks_job_name(ORDERS))
    assert full is not None
