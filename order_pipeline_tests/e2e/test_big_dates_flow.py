"""A date with many files is loaded in bounded pieces: batches of at most ORDER_PIPELINE_MAX_FILES_PER_BATCH files,
each its own transaction with its ledger rows, and a run's metadata that does not grow with the file count (lists
keep their first 50 entries beside the count; the raw asset keeps one event per file).

At small scale here (batches of 5); benchmarks/bench_big_dates.py shows memory and metadata at 20,000 files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson

from order_pipeline.datasets.orders_generator import generate_orders
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.run_metadata import METADATA_ENTRY_LIMIT_BYTES, run_metadata
from order_pipeline_tests.support.scenarios import counts

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
FILES = 56  # more than the lists keep (50); batches of 5: 11 full ones and one of a single file
BATCH = 5
LIST_LIMIT = 50


def land_small_files(pipeline, files: int) -> list[str]:
    keys = []
    for n in range(files):
        orders = generate_orders(1, seed=n, start_date=DAY, id_prefix=f"BIG{n}-")
        key = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/big-{n:03d}.jsonl"
        pipeline.land(key, b"".join(orjson.dumps(o) + b"\n" for o in orders))
        keys.append(key)
    return keys


def test_a_date_of_many_files_loads_in_bounded_batches_with_bounded_metadata(
    aws_endpoint, bucket, tmp_path, warehouse_env
):
    env = {**warehouse_env, "ORDER_PIPELINE_MAX_FILES_PER_BATCH": str(BATCH), "ORDER_PIPELINE_SENSOR_MODE": "listing"}
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as pipeline:
        keys = land_small_files(pipeline, FILES)
        outcome = pipeline.tick()
        (run,) = outcome.runs
        assert run.success

        # every file loaded, once, in ceil(56 / 5) = 12 transactions, each with its own ledger rows
        assert counts(pipeline) == (FILES, FILES, FILES)
        assert dict(pipeline.query('SELECT key, COUNT(*) FROM "file_ledger" GROUP BY key')) == {k: 1 for k in keys}
        per_batch = sorted(n for (n,) in pipeline.query('SELECT COUNT(*) FROM "file_ledger" GROUP BY loaded_at'))
        assert per_batch == [1] + [BATCH] * 11

        entries = run_metadata(pipeline.instance, run.run_id)
        assert all(e.size < METADATA_ENTRY_LIMIT_BYTES for e in entries)
        by_event: dict[str, dict] = {}
        for entry in entries:
            by_event.setdefault(entry.event, {})[entry.name] = entry.value
        lake = by_event["materialization lake/orders_parquet"]
        assert lake["files"].value == FILES and lake["parts_total"].value == FILES
        assert len(lake["parts"].value) == LIST_LIMIT
        warehouse = by_event["materialization warehouse/orders"]
        assert warehouse["files_loaded"].value == FILES and warehouse["load_batches"].value == 12
        assert len(warehouse["sources"].value) == LIST_LIMIT
        observation = by_event["observation raw/orders_json"]
        assert observation["files"].value == FILES and len(observation["uris"].value) == LIST_LIMIT
        # the raw asset's per-file events stay: one per landed file
        raw_events = [e for e in entries if e.event == "materialization raw/orders_json" and e.name == "uri"]
        assert len(raw_events) == FILES

        loaded = [m for m in pipeline.notifications() if m["event_type"] == "partition_loaded"]
        assert len(loaded) == 1
        assert loaded[0]["files_loaded"] == FILES and len(loaded[0]["files"]) == LIST_LIMIT

        assert pipeline.tick().runs == []
