"""Parquet as other tools write it loads as it is, on both warehouses: pyarrow with string_view, large_string,
date32, decimal128(15,2), int32, time64 and zoned timestamps, and DuckDB's own COPY ... (FORMAT PARQUET)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline_tests.support.pipeline_harness import local_pipeline

TODAY = datetime.now(timezone.utc).date()
PYARROW_ROWS, DUCKDB_ROWS = 1000, 2000

SALES = Dataset(
    name="sales",
    merge_key=("sale_id",),
    event_time_column="sold_on",
    version_column="revision",
    owners=("team:finance",),
    description="Sales lines from the till system and the web shop",
    columns=(
        Column("sale_id", "int32", nullable=False),
        Column("sku", "string", nullable=False, max_bytes=32),
        Column("sold_on", "date", nullable=False),
        Column("amount", "decimal", precision=15, scale=2, nullable=False),
        Column("quantity", "int32", nullable=False),
        Column("note", "string", max_bytes=256),
        Column("opened_at", "time"),
        Column("weight", "float64"),
        Column("gift", "boolean"),
        Column("recorded_at", "timestamp", nullable=False),
        Column("revision", "int64", nullable=False),
    ),
)


def pyarrow_file() -> tuple[bytes, list[dict]]:
    rows = [
        {
            "sale_id": n,
            "sku": f"SKU-{n % 97}",
            "sold_on": date(2026, 1, 1) + timedelta(days=n % 60),
            "amount": Decimal(n * 101) / 100,
            "quantity": n % 5 + 1,
            "note": f"note {n}" if n % 3 else None,
            "opened_at": time(8 + n % 10, n % 60, 0, 250000),
            "weight": n / 8,
            "gift": n % 2 == 0,
            "recorded_at": datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n),
            "revision": 1,
        }
        for n in range(1, PYARROW_ROWS + 1)
    ]
    schema = pa.schema(
        [
            ("sale_id", pa.int32()),
            ("sku", pa.string_view()),
            ("sold_on", pa.date32()),
            ("amount", pa.decimal128(15, 2)),
            ("quantity", pa.int32()),
            ("note", pa.large_string()),
            ("opened_at", pa.time64("us")),
            ("weight", pa.float64()),
            ("gift", pa.bool_()),
            ("recorded_at", pa.timestamp("ms", tz="UTC")),
            ("revision", pa.int64()),
        ]
    )
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink)
    return sink.getvalue(), rows


def duckdb_file(tmp_path) -> tuple[bytes, list[dict]]:
    path = tmp_path / "duckdb-export.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""
        COPY (
            SELECT CAST(i AS INTEGER) AS sale_id, 'D-' || CAST(i % 53 AS VARCHAR) AS sku,
                   DATE '2025-12-01' + CAST(i % 90 AS INTEGER) AS sold_on,
                   CAST(i * 0.37 AS DECIMAL(15, 2)) AS amount, CAST(i % 7 + 1 AS INTEGER) AS quantity,
                   CASE WHEN i % 4 = 0 THEN NULL ELSE 'duck ' || CAST(i AS VARCHAR) END AS note,
                   TIME '09:15:00' AS opened_at, i / 3.0 AS weight, i % 5 = 0 AS gift,
                   TIMESTAMPTZ '2025-12-01 00:00:00+00' + to_minutes(CAST(i AS BIGINT)) AS recorded_at,
                   CAST(1 AS BIGINT) AS revision
            FROM range({PYARROW_ROWS + 1}, {PYARROW_ROWS + DUCKDB_ROWS + 1}) AS t(i)
        ) TO '{path}' (FORMAT PARQUET)""")
    rows = [
        dict(zip([d[0] for d in con.description], row, strict=True))
        for row in con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    ]
    con.close()
    return path.read_bytes(), rows


def test_parquet_of_other_tools_loads_as_it_is(aws_endpoint, bucket, tmp_path, warehouse_env):  # noqa: F811
    arrow_bytes, arrow_rows = pyarrow_file()
    duck_bytes, duck_rows = duckdb_file(tmp_path)
    schema = pq.read_schema(io.BytesIO(duck_bytes))
    assert (schema.field("amount").type, schema.field("sold_on").type) == (pa.decimal128(15, 2), pa.date32())
    expected = arrow_rows + duck_rows
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(SALES,), extra_env=warehouse_env) as pipeline:
        prefix = f"{pipeline.settings.landing_root('sales')}{TODAY:%Y/%m/%d}"
        pipeline.land(f"{prefix}/till-export.parquet", arrow_bytes)
        pipeline.land(f"{prefix}/duckdb-export.parquet", duck_bytes)
        outcome = pipeline.tick(SALES)
        assert outcome.partitions == [TODAY.isoformat()] and not outcome.failed_runs
        count, total, first, last, quantity = pipeline.query(
            'SELECT COUNT(*), SUM("amount"), MIN("sold_on"), MAX("sold_on"), SUM("quantity") FROM "sales"'
        )[0]
        assert count == len(expected) == PYARROW_ROWS + DUCKDB_ROWS
        assert total == sum(r["amount"] for r in expected)  # to the cent
        assert (first, last) == (min(r["sold_on"] for r in expected), max(r["sold_on"] for r in expected))
        assert quantity == sum(r["quantity"] for r in expected)
        notes, gifts, weight = pipeline.query(
            'SELECT COUNT("note"), SUM(CASE WHEN "gift" THEN 1 ELSE 0 END), SUM("weight") FROM "sales"'
        )[0]
        assert notes == sum(r["note"] is not None for r in expected)
        assert gifts == sum(r["gift"] for r in expected)
        assert float(weight) == pytest.approx(sum(r["weight"] for r in expected))
        sample = pipeline.query('SELECT "sku", "opened_at", "recorded_at" FROM "sales" WHERE "sale_id" = 7')[0]
        assert sample[0] == "SKU-7" and sample[1] == time(15, 7, 0, 250000)
        assert sample[2] == datetime(2026, 1, 1, 0, 7, tzinfo=timezone.utc)
        ledger = pipeline.query(
            'SELECT "status", "rows" FROM "file_ledger" WHERE "dataset" = \'sales\' ORDER BY "rows"'
        )
        assert ledger == [("loaded", PYARROW_ROWS), ("loaded", DUCKDB_ROWS)]
