"""Loading the code location stays light (issue 24): every run worker loads it before its first step starts.

Loaded in a fresh interpreter, as a run worker does: `order_pipeline.definitions`, then its `defs()`. The heavy
modules a step needs (pyarrow, numpy, DuckDB, redshift_connector, psutil) load in the step, not here; and the defs
folder is built without Dagster's catalogue of every installed component type (~2.5 s of JSON schemas for the UI).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pyarrow", "numpy", "duckdb", "redshift_connector", "psutil", "pandas")

LOAD = f"""
import json, sys, warnings
warnings.simplefilter("ignore")
import order_pipeline.definitions as location
definitions = location.defs()
repository = definitions.get_repository_def()
print(json.dumps({{
    "jobs": sorted(repository.job_names),
    "metadata": sorted(definitions.metadata),
    "tree": definitions.component_tree is not None,
    "heavy": [name for name in {HEAVY!r} if name in sys.modules],
}}))
"""


def load_in_a_fresh_interpreter() -> dict:
    done = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_loading_the_code_location_imports_no_heavy_module_and_builds_no_component_catalogue():
    loaded = load_in_a_fresh_interpreter()

    assert "orders_load_job" in loaded["jobs"]  # the definitions are all there
    assert loaded["tree"]  # the component tree is attached, as the tree's root would attach it
    assert loaded["heavy"] == []
    assert "plugin_component_types_json" not in loaded["metadata"]
