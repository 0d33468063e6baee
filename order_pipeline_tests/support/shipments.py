"""Shipments: a flat feed with a column of every kind, declared only in YAML (feeds_defs/shipments/defs.yaml), and
writers of the same rows as CSV the ways producers write it (Python's csv module, DuckDB `COPY ... (FORMAT csv)`,
a spreadsheet export), as gzipped TSV and as Parquet."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from order_pipeline.datasets.declaration import Dataset, RecordRule
from order_pipeline.datasets.registry import yaml_datasets


def _cost_within_limit(table: pa.Table, children: Mapping[str, pa.Table]) -> pa.Array:
    return pc.less_equal(table["cost"], pa.scalar(Decimal("5000"), pa.decimal128(12, 2)))


# A record rule a YAML declaration references as `order_pipeline_tests.support.shipments:COST_WITHIN_LIMIT`.
COST_WITHIN_LIMIT = RecordRule("cost_within_limit", "cost above 5000", _cost_within_limit, field="cost")
FEEDS_DEFS = Path(__file__).with_name("feeds_defs")  # a defs folder holding the feed's defs.yaml


def shipments_dataset(**options: object) -> Dataset:
    """The feed as its defs.yaml declares it (no Python declaration), with `options` replaced."""
    (dataset,) = yaml_datasets(FEEDS_DEFS)
    return dataclasses.replace(dataset, **options)  # type: ignore[arg-type]


HEADER = [c.name for c in shipments_dataset().columns]


def shipment_rows(count: int, start: int = 1) -> list[dict]:
    """Rows with awkward text: commas, quotes, semicolons, tabs and line ends inside fields."""
    base = datetime(2026, 11, 3, 8, 30, tzinfo=timezone.utc)
    rows = []
    for n in range(start, start + count):
        notes = ("plain", 'said "fragile", twice', "line one\nline two", "semi;colon", "tab\there", None)
        rows.append(
            {
                "shipment_id": f"SH-{n}",
                "carrier": ("dhl", "ups", "fedex")[n % 3],
                "note": notes[n % len(notes)],
                "attributes": json.dumps({"n": n, "tags": ["a", "b"]}) if n % 4 else None,
                "fragile": n % 2 == 0 if n % 5 else None,
                "parcels": 1 + n % 7,
                "route": 1000 + n,
                "tracking_number": 9_000_000_000 + n,
                "volume": 0.5 * (n % 9),
                "distance_km": 12.25 * n,
                "cost": Decimal(n * 137 % 100000) / 100,
                "ship_date": date(2026, 11, 1) + timedelta(days=n % 20),
                "pickup_time": time(8 + n % 10, n % 60, 15),
                "shipped_at": base + timedelta(minutes=37 * n),
            }
        )
    return rows


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def python_csv(
    rows: list[dict], delimiter: str = ",", line_end: str = "\r\n", bom: bool = False, quote_all: bool = False
) -> bytes:
    """What Python's csv module writes (QUOTE_MINIMAL, `\\r\\n` by default; `quote_all`: the header too)."""
    out = io.StringIO(newline="")
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_text(row[name]) for name in HEADER])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def spreadsheet_csv(rows: list[dict]) -> bytes:
    """A spreadsheet's "CSV (semicolon)" export: `;`, `\\r\\n`, a BOM, every field quoted."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_text(row[name]) for name in HEADER])
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def tsv_gz(rows: list[dict]) -> bytes:
    """Tab-separated, `\\n` line ends, gzipped; fields with tabs or line ends quoted."""
    return gzip.compress(python_csv(rows, delimiter="\t", line_end="\n"))


def arrow_table(rows: list[dict]) -> pa.Table:
    schema = pa.schema(
        [
            ("shipment_id", pa.string()),
            ("carrier", pa.string()),
            ("note", pa.string()),
            ("attributes", pa.string()),
            ("fragile", pa.bool_()),
            ("parcels", pa.int16()),
            ("route", pa.int32()),
            ("tracking_number", pa.int64()),
            ("volume", pa.float32()),
            ("distance_km", pa.float64()),
            ("cost", pa.decimal128(12, 2)),
            ("ship_date", pa.date32()),
            ("pickup_time", pa.time64("us")),
            ("shipped_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def parquet_bytes(rows: list[dict]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(arrow_table(rows), sink)
    return sink.getvalue()


def duckdb_csv(rows: list[dict], folder: Path) -> bytes:
    """What DuckDB's `COPY ... TO (FORMAT csv, HEADER)` writes for the same rows."""
    import duckdb

    path = folder / "duckdb-export.csv"
    table = arrow_table(rows)
    with duckdb.connect() as connection:
        connection.register("shipments_input", table)
        connection.execute(
            "CREATE TABLE s AS SELECT * REPLACE (CAST(pickup_time AS TIME) AS pickup_time) FROM shipments_input"
        )
        connection.execute(f"COPY s TO '{path}' (FORMAT csv, HEADER)")
    return path.read_bytes()


def expected_summary(rows: list[dict]) -> dict:
    """What a warehouse holding exactly `rows` answers (see SUMMARY_SQL)."""
    return {
        "rows": len(rows),
        "cost": sum(r["cost"] for r in rows),
        "first_date": min(r["ship_date"] for r in rows),
        "last_date": max(r["ship_date"] for r in rows),
        "first_at": min(r["shipped_at"] for r in rows),
        "last_at": max(r["shipped_at"] for r in rows),
        "parcels": sum(r["parcels"] for r in rows),
        "fragile": sum(1 for r in rows if r["fragile"]),
        "notes": sorted(r["note"] for r in rows if r["note"] is not None)[:3],
    }
