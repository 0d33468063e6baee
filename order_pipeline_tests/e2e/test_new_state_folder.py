"""A state folder that does not exist yet (a new ORDER_PIPELINE_STATE_DIR): the warehouse's folder is created on
first use, as `.local` is, so the sensor reads the ledger and the runs load.

(Issue 25, item 15: the sensor warned "cannot read the ledger … No such file or directory" and every run failed
with DuckDB's IOException. The real `order-pipeline demo` with a new ORDER_PIPELINE_DUCKDB_PATH: in
system/test_demo_command.py.)
"""

from __future__ import annotations

from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.scenarios import OPTIONS, assert_matches, decode, land_generated


def test_a_new_state_folder_is_created_and_the_sensor_and_runs_use_it(aws_endpoint, bucket, tmp_path):
    state = tmp_path / "not" / "created" / "yet"
    # the DuckDB path left to its default: <ORDER_PIPELINE_STATE_DIR>/warehouse.duckdb
    with local_pipeline(aws_endpoint, bucket, state, extra_env={"ORDER_PIPELINE_DUCKDB_PATH": ""}) as pipeline:
        assert not state.exists() and pipeline.settings.duckdb_path == state / "warehouse.duckdb"
        files = land_generated(pipeline, OPTIONS)
        ticks = pipeline.drain()
        assert [run for tick in ticks for run in tick.runs] and not [r for t in ticks for r in t.failed_runs]
        assert_matches(pipeline, [record for content in files.values() for record in decode(content)])
        assert (state / "warehouse.duckdb").is_file()
