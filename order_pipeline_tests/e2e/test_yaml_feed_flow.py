"""A feed declared only in a defs.yaml (no Python), a column of every kind, loads end to end through the real
sensor from Parquet, CSV (quoted header, commas and line ends inside fields), a spreadsheet export and a gzipped
TSV, on both warehouses: exact row counts, sums to the cent, first and last dates and timestamps."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from order_pipeline.datasets.registry import registered_datasets
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.shipments import (
    FEEDS_DEFS,
    expected_summary,
    parquet_bytes,
    python_csv,
    shipment_rows,
    spreadsheet_csv,
    tsv_gz,
)

SUMMARY_SQL = (
    'SELECT COUNT(*), SUM("cost"), MIN("ship_date"), MAX("ship_date"), MIN("shipped_at"), MAX("shipped_at"), '
    'SUM("parcels"), SUM(CASE WHEN "fragile" THEN 1 ELSE 0 END) FROM "shipments"'
)


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def test_a_yaml_only_feed_loads_from_parquet_csv_and_gzipped_tsv(aws_endpoint, bucket, tmp_path, warehouse_env):
    (shipments,) = (d for d in registered_datasets(FEEDS_DEFS) if d.name == "shipments")
    today = datetime.now(timezone.utc).date()
    files = {
        "part-1.parquet": (shipment_rows(40, 1), parquet_bytes),
        "part-2.csv": (shipment_rows(40, 41), lambda rows: python_csv(rows, quote_all=True)),
        "part-3.csv": (shipment_rows(40, 81), spreadsheet_csv),
        "part-4.tsv.gz": (shipment_rows(40, 121), tsv_gz),
    }
    assert b'"shipment_id","carrier"' in python_csv(shipment_rows(1), quote_all=True)  # the header is quoted
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(shipments,), extra_env=warehouse_env) as pipeline:
        prefix = f"{pipeline.settings.landing_root('shipments')}{today:%Y/%m/%d}"
        for name, (rows, encode) in files.items():
            pipeline.land(f"{prefix}/{name}", encode(rows))
        outcome = pipeline.tick(shipments)
        assert outcome.partitions == [today.isoformat()] and not outcome.failed_runs
        everything = [row for rows, _ in files.values() for row in rows]
        expected = expected_summary(everything)
        ((count, cost, first_date, last_date, first_at, last_at, parcels, fragile),) = pipeline.query(SUMMARY_SQL)
        assert count == expected["rows"] == 160
        assert cost == expected["cost"]  # to the cent, as decimals
        assert (first_date, last_date) == (expected["first_date"], expected["last_date"])
        assert (_utc(first_at), _utc(last_at)) == (expected["first_at"], expected["last_at"])
        assert (parcels, fragile) == (expected["parcels"], expected["fragile"])
        notes = dict(pipeline.query('SELECT "shipment_id", "note" FROM "shipments" WHERE "note" LIKE \'%line%\''))
        assert notes["SH-44"] == "line one\nline two" and notes["SH-122"] == "line one\nline two"
        said = pipeline.query('SELECT COUNT(*) FROM "shipments" WHERE "note" = \'said "fragile", twice\'')
        assert said == [(sum(1 for r in everything if r["note"] == 'said "fragile", twice'),)]
        attributes = pipeline.query('SELECT "attributes" FROM "shipments" WHERE "shipment_id" = \'SH-81\'')
        value = attributes[0][0]
        assert (json.loads(value) if isinstance(value, str) else value) == {"n": 81, "tags": ["a", "b"]}
