"""Cost follows the new data (issue 19): a fixed 10,000-order batch into warehouses already holding 1M, 4M and
16M orders (3 items each), on DuckDB and on the tests' Redshift endpoint. Prints the whole warehouse step at each
size and the full rebuild beside it; PASS when the step at the largest size costs at most 1.5x the smallest, per
backend.

    .venv/bin/python benchmarks/bench_derived_refresh.py [--scale 0.05] [--backends duckdb redshift]

The step is the project's own code, as the warehouse and derived assets run it: `Warehouse.load_batch` (stage the
batch's canonical Parquet from S3 (moto server), de-duplicate, drop stale, capture the touched dates, MERGE,
replace items, the merge-key check over the keys merged, ledger rows; one transaction) then
`Warehouse.refresh_derived` for daily_order_summary (replace the touched dates in place, the summary check over
them). The full rebuild is `commands/rebuild_derived.rebuild` (what `order-pipeline rebuild-derived` runs). The
warehouse asset's row counts for its metadata (`warehouse_checks.row_count`, a whole-table COUNT(*)) are printed
on their own line, outside the step's figure (see the note printed at the end).

History is seeded in bulk SQL inside each engine (DuckDB: INSERT ... SELECT FROM range(); the endpoint: the same
through generate_series directly on the PostgreSQL behind it), at a fixed 10,000 orders per day ending the day
before the batch: a bigger warehouse holds MORE DAYS, not denser days (1M = 100 days, 16M = 1,600 days), so the
dates a batch touches hold the same rows at every size. Each size grows the previous one (older days added).
The batch: 9,000 new orders over the batch's two dates and 1,000 updates of yesterday's orders that move them one
day back (a date an update moves out of is refreshed too): three dates touched. Order ids are issued in time order
(as a sequence issues them): a batch's keys fall in a narrow range of the key, so DuckDB's min/max zone maps (and
Redshift's sort key on order_items.order_id) can skip the rest. With random keys (UUIDs) DuckDB's joins on the
key would read the whole key column: not measured here.
`--profile N` prints the N slowest statements of each size's fastest step (to find what grows with history).

Redshift endpoint: PostgreSQL with SORTKEY stripped and CREATE INDEX refused. Redshift prunes a range on the sort
key (orders.order_ts) with zone maps and joins on the DISTKEY; PostgreSQL has neither, so without indexes every
scoped statement would scan whole tables and the figure would measure PostgreSQL, not the design. The benchmark
therefore creates, directly on PostgreSQL (not through the endpoint, which refuses them), B-tree indexes standing in
for the sort and dist keys: orders(order_id), orders(order_ts), order_items(order_id), and ANALYZEs after seeding.
It also sets the database's random_page_cost to 1.1 (the usual SSD setting): with PostgreSQL's default of 4 the
planner seq-scanned order_items for the summary's semi-join instead of using the index (EXPLAIN, issue 19c).
It says so in its output. Figures come from a shared machine: compare ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # order_pipeline_tests: the local endpoint

from bench_upsert import orders_table  # noqa: E402 - same directory, after the path set-up

from order_pipeline.commands.moto_server import free_port, start_moto_server  # noqa: E402
from order_pipeline.commands.rebuild_derived import rebuild  # noqa: E402
from order_pipeline.datasets.orders import ORDERS  # noqa: E402
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY  # noqa: E402
from order_pipeline.landing import FileVersion  # noqa: E402
from order_pipeline.steps.warehouse.warehouse_checks import row_count  # noqa: E402
from order_pipeline.warehouse.base import BatchFile, LoadBatch, Warehouse  # noqa: E402
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse  # noqa: E402
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse  # noqa: E402
from order_pipeline_tests.redshift_endpoint import start_endpoint  # noqa: E402

SIZES = (1_000_000, 4_000_000, 16_000_000)
ORDERS_PER_DAY = 10_000
ITEMS_PER_ORDER = 3  # as bench_upsert.orders_table writes them
BATCH_NEW = 9_000
BATCH_UPDATES = 1_000
TARGET_RATIO = 1.5
NEWEST_HISTORY_ID = 99_999_999  # order i of history has id NEWEST_HISTORY_ID - i; the batch's new ids follow
SEED_CHUNK = 2_000_000  # orders per seeding statement (progress lines, bounded transactions)
BATCH_DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)  # the batch's dates: this day and the day before
ROLE = "arn:aws:iam::123456789012:role/bench"
POSTGRES_RANDOM_PAGE_COST = 1.1  # SSD setting, so PostgreSQL's planner uses the indexes standing in for the keys
POSTGRES_INDEXES = (
    ("orders", "order_id"),
    ("orders", "order_ts"),
    ("order_items", "order_id"),
)


# -- history, in bulk SQL inside the engine ------------------------------------------------------------------


def history_sql(dialect: str, lo: int, hi: int) -> tuple[str, str]:
    """INSERTs of orders lo..hi-1 and their items. Order i is placed on day BATCH_DAY - 1 - i // ORDERS_PER_DAY
    (order 0 is yesterday's first), spread over the day; one order in 20 is cancelled."""
    if dialect == "duckdb":
        series, div = f"range({lo}, {hi}) AS t(i)", "//"
        items_series = f"range({lo * ITEMS_PER_ORDER}, {hi * ITEMS_PER_ORDER}) AS t(j)"
        days, seconds = "to_days(CAST({} AS INTEGER))", "to_seconds(CAST({} AS BIGINT))"
    else:
        series, div = f"generate_series({lo}::bigint, {hi - 1}::bigint) AS t(i)", "/"
        items_series = f"generate_series({lo * ITEMS_PER_ORDER}::bigint, {hi * ITEMS_PER_ORDER - 1}::bigint) AS t(j)"
        days, seconds = "make_interval(days => ({})::int)", "make_interval(secs => ({}))"
    start = f"TIMESTAMPTZ '{BATCH_DAY.date().isoformat()} 00:00:00+00'"
    ts = (
        f"{start} - {days.format(f'i {div} {ORDERS_PER_DAY} + 1')} "
        f"+ {seconds.format(f'(i % {ORDERS_PER_DAY}) * 8')}"  # 10,000 orders x 8 s < one day
    )
    order_id = f"'o-' || lpad(CAST({NEWEST_HISTORY_ID} - ({{}}) AS VARCHAR), 9, '0')"  # older: smaller id
    orders = (
        'INSERT INTO "orders" ("order_id", "customer_id", "order_ts", "status", "currency", "payment_method", '
        '"ship_name", "ship_street", "ship_city", "ship_postal_code", "ship_country", "subtotal", "shipping", '
        '"tax", "total", "updated_at", "_source_file", "_source_record") '
        f"SELECT {order_id.format('i')}, 'c-' || CAST(i % 50000 AS VARCHAR), {ts}, "
        "CASE WHEN i % 20 = 0 THEN 'cancelled' ELSE 'paid' END, 'EUR', 'card', 'A', 'B', 'C', '1', 'DE', "
        f"60.00, 0.00, 0.00, 60.00, {ts}, 's3://bench/landing/history.jsonl', i FROM {series}"
    )
    items = (
        'INSERT INTO "order_items" ("order_id", "line_number", "sku", "quantity", "unit_price", "_source_file", '
        '"_source_record") '
        f"SELECT {order_id.format(f'j {div} {ITEMS_PER_ORDER}')}, CAST(j % {ITEMS_PER_ORDER} + 1 AS INTEGER), "
        f"'sku', 2, 10.00, 's3://bench/landing/history.jsonl', j {div} {ITEMS_PER_ORDER} FROM {items_series}"
    )
    return orders, items


def seed_chunks(lo: int, hi: int) -> list[tuple[int, int]]:
    return [(start, min(start + SEED_CHUNK, hi)) for start in range(lo, hi, SEED_CHUNK)]


# -- the backends under test ------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    open: Callable[[], Warehouse]
    grow: Callable[[int, int], None]  # seed orders lo..hi-1 (the warehouse is closed meanwhile)
    note: str


def duckdb_backend(work: Path, s3: Any) -> Backend:
    path = work / "bench.duckdb"

    def grow(lo: int, hi: int) -> None:
        con = duckdb.connect(str(path))
        con.execute("SET TimeZone = 'UTC'")
        for a, b in seed_chunks(lo, hi):
            for sql in history_sql("duckdb", a, b):
                con.execute(sql)
        con.execute("CHECKPOINT")
        con.close()

    return Backend("duckdb", lambda: DuckDBWarehouse(path, s3), grow, "DuckDB file, no indexes (zone maps)")


def redshift_backend(endpoint: Any, s3: Any) -> Backend:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with endpoint.postgres.connect(endpoint.database) as pg:  # the benchmark's own cluster: new sessions get it
        pg.execute(f'ALTER DATABASE "{endpoint.database}" SET random_page_cost = {POSTGRES_RANDOM_PAGE_COST}')
    admin = endpoint.connect()
    admin.cursor().execute(f'CREATE SCHEMA "{schema}"')
    admin.commit()
    admin.close()

    def connect() -> Any:
        conn = endpoint.connect()
        conn.cursor().execute(f'SET search_path TO "{schema}"')
        conn.commit()
        return conn

    def grow(lo: int, hi: int) -> None:
        with endpoint.postgres.connect(endpoint.database) as pg:  # PostgreSQL itself, behind the endpoint
            pg.execute(f'SET search_path TO "{schema}"')
            pg.execute("SET TimeZone = 'UTC'")
            for a, b in seed_chunks(lo, hi):
                for sql in history_sql("postgres", a, b):
                    pg.execute(sql)
            for table, column in POSTGRES_INDEXES:
                pg.execute(f'CREATE INDEX IF NOT EXISTS "bench_{table}_{column}" ON "{table}" ("{column}")')
            pg.execute('ANALYZE "orders"')
            pg.execute('ANALYZE "order_items"')

    def open_warehouse() -> Warehouse:
        return RedshiftWarehouse(connect, s3, iam_role=ROLE, manifest_prefix="s3://bench/_manifests/", serverless=False)

    indexes = ", ".join(f"{t}({c})" for t, c in POSTGRES_INDEXES)
    note = (
        f"tests' endpoint (PostgreSQL); B-tree indexes added on PostgreSQL directly for sort/dist keys: {indexes}; "
        f"ALTER DATABASE {endpoint.database} SET random_page_cost = {POSTGRES_RANDOM_PAGE_COST} (SSD setting)"
    )
    return Backend("redshift", open_warehouse, grow, note)


# -- the batch ---------------------------------------------------------------------------------------------------


def upload(s3: Any, table: pa.Table, key: str) -> str:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3.put_object(Bucket="bench", Key=key, Body=sink.getvalue())
    return f"s3://bench/{key}"


def make_batch(s3: Any, number: int) -> LoadBatch:
    """Batch `number`: 9,000 new orders over BATCH_DAY and the day before, and 1,000 of yesterday's orders
    (a different thousand per batch) updated and moved one day back."""
    version = BATCH_DAY + timedelta(days=1, minutes=number)
    source = FileVersion("bench", f"landing/orders/2026/11/20/batch-{number}.jsonl", f"etag-{number}", 1, version)
    updated = np.arange(number * BATCH_UPDATES, (number + 1) * BATCH_UPDATES)  # history's order numbers
    assert updated[-1] < ORDERS_PER_DAY, "updates must stay within yesterday's orders"
    new = np.arange(NEWEST_HISTORY_ID + 1 + number * BATCH_NEW, NEWEST_HISTORY_ID + 1 + (number + 1) * BATCH_NEW)
    parents, items = orders_table(np.concatenate([new, NEWEST_HISTORY_ID - updated]), version, source.uri)
    yesterday = BATCH_DAY - timedelta(days=1)
    when = [BATCH_DAY - timedelta(days=i % 2) + timedelta(seconds=(i * 7) % 86_000) for i in range(len(new))]
    when += [yesterday - timedelta(days=1) + timedelta(seconds=int(i) * 8) for i in updated]
    field = parents.schema.field("order_ts")
    parents = parents.set_column(parents.schema.get_field_index("order_ts"), field, pa.array(when, field.type))
    parts = {
        "orders": upload(s3, parents, f"lake/batch-{number}/orders.parquet"),
        "order_items": upload(s3, items, f"lake/batch-{number}/order_items.parquet"),
    }
    return LoadBatch(ORDERS, "2026-11-20", f"bench-{number}", (BatchFile(source, parts, {"orders": len(parents)}),))


# -- measuring ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    load: float
    refresh: float
    counts: float
    statements: tuple[tuple[float, str], ...]  # (seconds, SQL), with --profile

    @property
    def step(self) -> float:
        return self.load + self.refresh


def timing_statements(db: Warehouse, into: list[tuple[float, str]]) -> None:
    """Record the seconds of each statement the warehouse runs (its SqlWarehouse _execute/_fetch)."""

    def timed(run: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(sql: str, params: Any = ()) -> Any:
            started = time.perf_counter()
            try:
                return run(sql, params)
            finally:
                into.append((time.perf_counter() - started, " ".join(sql.split())[:150]))

        return wrapper

    for name in ("_execute", "_fetch"):
        setattr(db, name, timed(getattr(db, name)))


def warehouse_step(db: Warehouse, batch: LoadBatch) -> Step:
    """One batch through the warehouse step, checking it did what it should."""
    started = time.perf_counter()
    result = db.load_batch(batch)
    loaded = time.perf_counter()
    refresh = db.refresh_derived(ORDERS, DAILY_ORDER_SUMMARY)
    refreshed = time.perf_counter()
    for table in ORDERS.table_names:
        row_count(db, table)
    counted = time.perf_counter()
    assert (result.inserted, result.updated, result.duplicate_keys) == (BATCH_NEW, BATCH_UPDATES, 0), result
    assert not refresh.full and len(refresh.groups) == 3, refresh
    assert refresh.check is not None and refresh.check[0] == refresh.check[1], refresh
    return Step(loaded - started, refreshed - loaded, counted - refreshed, ())


def run_backend(
    backend: Backend, s3: Any, sizes: list[int], repeats: int, first_batch: int, profile: int = 0
) -> list[str]:
    print(f"\n--- {backend.name}: {backend.note}", flush=True)
    header = (
        f"{'orders':>12} {'step s':>8} {'(load':>8} {'refresh)':>9} {'rebuild s':>10} "
        f"{'rebuild/step':>12} {'row counts s':>13}"
    )
    rows: list[tuple[int, float]] = []
    lines: list[str] = []
    held = 0
    number = first_batch
    for size in sizes:
        started = time.perf_counter()
        db = backend.open()
        db.ensure_tables(ORDERS)
        db.close()
        backend.grow(held, size)
        print(f"  seeded {held:,} -> {size:,} orders in {time.perf_counter() - started:.1f} s", flush=True)
        held = size
        db = backend.open()
        try:
            started = time.perf_counter()
            (done,) = rebuild(db, [ORDERS])  # also brings the summary up to the seeded history
            rebuild_seconds = time.perf_counter() - started
            assert done.check is not None and done.check[0] == done.check[1], done
            steps = []
            for _ in range(repeats):
                statements: list[tuple[float, str]] = []
                if profile:
                    timing_statements(db, statements)
                step = warehouse_step(db, make_batch(s3, number))
                steps.append(dataclasses.replace(step, statements=tuple(sorted(statements, reverse=True))))
                number += 1
        finally:
            db.close()
        best = min(steps, key=lambda s: s.step)
        median = statistics.median(s.step for s in steps)
        rows.append((size, best.step))
        lines.append(
            f"{size:>12,} {best.step:8.3f} {best.load:8.3f} {best.refresh:9.3f} {rebuild_seconds:10.2f} "
            f"{rebuild_seconds / best.step:11.1f}x {best.counts:13.3f}"
            f"   (median step of {repeats}: {median:.3f})"
        )
        print(f"  {lines[-1].strip()}", flush=True)
        for seconds, sql in best.statements[:profile]:
            print(f"      {seconds:7.3f} s  {sql}", flush=True)
    print(header)
    for line in lines:
        print(line)
    ratio = rows[-1][1] / rows[0][1]
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISSED"
    summary = (
        f"{verdict} {backend.name}: step at {rows[-1][0]:,} orders = {ratio:.2f}x the step at {rows[0][0]:,} "
        f"(target <= {TARGET_RATIO}x)"
    )
    print(summary, flush=True)
    return [summary]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="history sizes x scale (0.05: 50k/200k/800k)")
    parser.add_argument("--backends", nargs="*", default=["duckdb", "redshift"], choices=["duckdb", "redshift"])
    parser.add_argument("--repeats", type=int, default=3, help="batches per size; the fastest step is kept")
    parser.add_argument("--profile", type=int, default=0, help="print the N slowest statements of each size")
    args = parser.parse_args()
    sizes = [max(ORDERS_PER_DAY * 3, int(size * args.scale)) for size in SIZES]
    work = Path(tempfile.mkdtemp(prefix="bench_derived_"))
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
    endpoint = start_endpoint() if "redshift" in args.backends else None
    print(
        f"history {', '.join(f'{s:,}' for s in sizes)} orders ({ITEMS_PER_ORDER} items each, {ORDERS_PER_DAY:,} "
        f"orders/day; scale {args.scale}); batch {BATCH_NEW:,} new + {BATCH_UPDATES:,} updated orders, "
        f"3 dates touched; {args.repeats} batches per size",
        flush=True,
    )
    print(
        "step = load_batch (stage, dedup, stale, MERGE, items, merge-key check, ledger) + refresh_derived "
        "(touched dates, summary check); rebuild = rebuild-derived (whole summary)",
        flush=True,
    )
    try:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        verdicts: list[str] = []
        if "duckdb" in args.backends:
            verdicts += run_backend(
                duckdb_backend(work, s3), s3, sizes, args.repeats, first_batch=0, profile=args.profile
            )
        if endpoint is not None:
            verdicts += run_backend(
                redshift_backend(endpoint, s3), s3, sizes, args.repeats, first_batch=0, profile=args.profile
            )
        print(
            "\nrow counts: the warehouse asset's table_rows metadata (COUNT(*) of each whole table), shown apart "
            "from the step: it reads every row on PostgreSQL; DuckDB and Redshift answer it from block metadata."
        )
        print("\n".join(verdicts))
        return 0 if all(v.startswith("PASS") for v in verdicts) else 1
    finally:
        if endpoint is not None:
            endpoint.stop()
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
