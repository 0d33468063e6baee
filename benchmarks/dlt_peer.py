"""dlt, the peer users would pick instead, on the same files: its filesystem source reading the JSON Lines files,
nested `items` normalised into a child table, `merge` on `order_id` (dedup_sort on `updated_at`) into DuckDB.

Installed by the benchmark into its own virtual environment (benchmarks/.dlt-venv, from the package registry the
first time: `pip install "dlt[duckdb,filesystem]"`), never a project dependency. It reads the files from the local
folder they were generated in (no S3 endpoint between): the cheapest reading it can have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from measure import PEAK_MB_SOURCE, run_child

VENV = Path(__file__).resolve().parent / ".dlt-venv"
REQUIREMENT = "dlt[duckdb,filesystem]"

SCRIPT = (
    PEAK_MB_SOURCE
    + """
import json, sys, time
folder, db, workdir = sys.argv[1:4]
start = time.perf_counter()
import dlt
from dlt.sources.filesystem import filesystem, read_jsonl

files = filesystem(bucket_url="file://" + folder, file_glob="**/*.jsonl")
orders = (files | read_jsonl()).with_name("orders")
orders.apply_hints(
    write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    primary_key="order_id",
    columns={"updated_at": {"dedup_sort": "desc"}},
)
pipeline = dlt.pipeline(
    pipeline_name="bench_dlt", destination=dlt.destinations.duckdb(db), dataset_name="orders_dlt",
    pipelines_dir=workdir,
)
pipeline.run(orders)
wall = time.perf_counter() - start
with pipeline.sql_client() as client:
    orders_n = client.execute_sql("SELECT COUNT(*) FROM orders")[0][0]
    items_n = client.execute_sql("SELECT COUNT(*) FROM orders__items")[0][0]
print(json.dumps({"wall": wall, "orders": orders_n, "items": items_n, "peak_mb": peak_mb(),
                  "version": dlt.__version__}))
"""
)


def python() -> Path:
    """The venv's interpreter, dlt installed in it (created and installed the first time)."""
    interpreter = VENV / "bin" / "python"
    if interpreter.exists() and subprocess.run([interpreter, "-c", "import dlt"], capture_output=True).returncode == 0:
        return interpreter
    print(f"installing {REQUIREMENT} into {VENV} (first run only)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([interpreter, "-m", "pip", "install", "--quiet", REQUIREMENT], check=True)
    return interpreter


def run(folder: Path, work: Path) -> dict:
    """dlt loading every `*.jsonl` under `folder` into a fresh DuckDB file: wall seconds (interpreter start
    excluded, imports included), rows, peak RSS."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "DLT_DATA_DIR": str(work / "data")}
    line = run_child(
        SCRIPT,
        str(folder),
        str(work / "dlt.duckdb"),
        str(work / "pipelines"),
        env=env,
        python=str(python()),
        cwd=str(work),
    )
    return json.loads(line)
