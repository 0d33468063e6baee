"""Redshift-mode load benchmark: 1M orders (~3M items) through RedshiftWarehouse.load_batch against the local
endpoint (real redshift_connector, COPY from S3 through a manifest, emulated with PostgreSQL's COPY protocol),
beside DuckDBWarehouse.load_batch of the same canonical Parquet. Prints figures and ratios; asserts nothing.

    .venv/bin/python benchmarks/bench_redshift_load.py [--orders 1000000]

Baseline, measured in the same run on the same PostgreSQL: the same rows as CSV through psycopg's
`COPY ... FROM STDIN` into plain tables (no S3, no type or byte checks, no upsert) — the database's own speed.
The Redshift-mode load is split by its after_stage hook into staging (manifests, COPY of both tables, the batch's
files; committed) and the merge transaction (LOCK, dedup, stale check, MERGE, items, ledger, commit).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # order_pipeline_tests: the local endpoint

from bench_upsert import T0, orders_table  # noqa: E402 - same directory, after the path set-up

from order_pipeline.commands.moto_server import free_port, start_moto_server  # noqa: E402
from order_pipeline.datasets.orders import ORDERS  # noqa: E402
from order_pipeline.landing import FileVersion  # noqa: E402
from order_pipeline.warehouse.base import BatchFile, LoadBatch  # noqa: E402
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse  # noqa: E402
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse  # noqa: E402
from order_pipeline_tests.redshift_endpoint import start_endpoint  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/bench"


def upload(s3, table: pa.Table, key: str) -> str:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3.put_object(Bucket="bench", Key=key, Body=sink.getvalue())
    return f"s3://bench/{key}"


def baseline_copy(endpoint, parents: pa.Table, items: pa.Table) -> float:
    """The same rows into plain PostgreSQL tables with COPY FROM STDIN (CSV written by pyarrow)."""
    with endpoint.postgres.connect(endpoint.database) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        started = time.perf_counter()
        with conn.transaction():
            for name, table in (("orders", parents), ("order_items", items)):
                types = {pa.string(): "varchar", pa.int32(): "integer", pa.int64(): "bigint"}
                columns = ", ".join(
                    f'"{f.name}" '
                    + (
                        types.get(f.type)
                        or (
                            "timestamptz"
                            if pa.types.is_timestamp(f.type)
                            else f"numeric({f.type.precision},{f.type.scale})"
                        )
                    )
                    for f in table.schema
                )
                conn.execute(f"CREATE TABLE bench_baseline.{name} ({columns})")
                with conn.cursor().copy(f"COPY bench_baseline.{name} FROM STDIN (FORMAT csv)") as copy:
                    for batch in table.to_batches(max_chunksize=65536):
                        sink = io.BytesIO()
                        pa_csv.write_csv(
                            pa.Table.from_batches([batch]), sink, pa_csv.WriteOptions(include_header=False)
                        )
                        copy.write(sink.getvalue())
        seconds = time.perf_counter() - started
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
    return seconds


def report(label: str, seconds: float, baseline: float | None = None, rows: int | None = None) -> None:
    rate = f"  {rows / seconds / 1000:7.0f} k rows/s" if rows else ""
    ratio = f"  {seconds / baseline:5.1f}x baseline" if baseline else ""
    print(f"{label:<64} {seconds:8.2f} s{ratio}{rate}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_redshift_"))
    moto = start_moto_server("127.0.0.1", (port := free_port()), log_path=work / "moto.log")
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }
    )
    endpoint = start_endpoint()  # its own temporary cluster, removed by stop()
    try:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        source = FileVersion("bench", "landing/orders/2026/11/21/bench.jsonl", "etag-1", 1, T0)
        parents, items = orders_table(np.arange(args.orders), T0 + timedelta(hours=1), source.uri)
        parts = {
            "orders": upload(s3, parents, "lake/orders.parquet"),
            "order_items": upload(s3, items, "lake/order_items.parquet"),
        }
        batch = LoadBatch(ORDERS, "2026-11-21", "bench", (BatchFile(source, parts, {"orders": args.orders}),))
        rows = parents.num_rows + items.num_rows
        print(f"batch: {args.orders:,} orders, {items.num_rows:,} items, new to empty tables", flush=True)

        baseline = baseline_copy(endpoint, parents, items)

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = endpoint.connect()
        admin.cursor().execute(f'CREATE SCHEMA "{schema}"')
        admin.commit()
        admin.close()

        def connect():
            conn = endpoint.connect()
            conn.cursor().execute(f'SET search_path TO "{schema}"')
            conn.commit()
            return conn

        redshift = RedshiftWarehouse(
            connect, s3, iam_role=ROLE, manifest_prefix="s3://bench/_manifests/", serverless=False
        )
        redshift.ensure_tables(ORDERS)
        marks: list[float] = []
        started = time.perf_counter()
        result = redshift.load_batch(batch, after_stage=lambda: marks.append(time.perf_counter()))
        total = time.perf_counter() - started
        loaded = redshift.query('SELECT COUNT(*) FROM "orders"')[0][0]
        redshift.close()
        assert (result.inserted, loaded) == (args.orders, args.orders), (result, loaded)

        duck = DuckDBWarehouse(work / "duck.duckdb", s3)
        duck.ensure_tables(ORDERS)
        duck_result = duck.load_batch(batch)
        duck.close()
        assert duck_result.inserted == args.orders, duck_result

        report("baseline: PostgreSQL COPY FROM STDIN, same rows, plain tables", baseline, baseline, rows)
        report("redshift mode: load_batch total", total, baseline, rows)
        report("  staging: manifests + COPY from S3 (checks, bytes) + batch files", marks[0] - started, baseline, rows)
        report("  merge transaction: LOCK, dedup, MERGE, items, ledger, commit", total - (marks[0] - started), baseline)
        report("duckdb: load_batch total (S3 read, staging, merge)", duck_result.seconds, baseline, rows)
        print(f"redshift mode / duckdb: {total / duck_result.seconds:.1f}x", flush=True)
    finally:
        endpoint.stop()
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
