"""Benchmark the Parquet schema check against the row-by-row path it replaced, on the same file in the same run.

    python benchmarks/bench_schema_check.py --rows 600000

The file has one column a declaration cannot hold (money written as a timestamp). The schema check quarantines
it after reading the footer; the row-by-row path (the engine's loop without the check, as before issue 8) reads
every row and rejects each one. Targets: the check takes < 1 s and is >= 10x faster.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.engine import _convert_batch, _threshold_error
from order_pipeline.conversion.read.parquet_reading import parquet_batches
from order_pipeline.conversion.write.reject_log import RejectLog
from order_pipeline.conversion.write.table_outputs import TableOutputs
from order_pipeline.datasets.declaration import Column, Dataset

TARGET_SECONDS = 1.0
TARGET_RATIO = 10.0
SALES = Dataset(
    name="sales",
    merge_key=("sale_id",),
    event_time_column="sold_on",
    version_column="revision",
    columns=(
        Column("sale_id", "int32", nullable=False),
        Column("sku", "string", nullable=False, max_bytes=32),
        Column("sold_on", "date", nullable=False),
        Column("amount", "decimal", precision=15, scale=2, nullable=False),
        Column("revision", "int64", nullable=False),
        Column("note", "string", max_bytes=256),
    ),
)
NAME = "s3://bench/landing/sales/sales.parquet"


def write_file(path: Path, rows: int) -> None:
    ids = np.arange(1, rows + 1, dtype=np.int32)
    moments = pa.array(np.full(rows, 1_763_600_000_000_000, dtype=np.int64)).cast(pa.timestamp("us", tz="UTC"))
    pq.write_table(
        pa.table(
            {
                "sale_id": pa.array(ids),
                "sku": pa.array(np.char.add("SKU-", (ids % 1000).astype(str)), pa.string_view()),
                "sold_on": pa.array(np.full(rows, 20_000, dtype=np.int32)).cast(pa.date32()),
                "amount": moments,  # the incompatible column
                "revision": pa.array(np.ones(rows, dtype=np.int64)),
                "note": pa.array(["note"] * rows, pa.large_string()),
            }
        ),
        path,
    )


def row_by_row(source: Path, out: Path) -> str | None:
    """The engine's loop without the schema check: every row read, validated and rejected one by one."""
    out.mkdir(parents=True, exist_ok=True)
    outputs, rejects = TableOutputs(SALES, out, 65_536), RejectLog(out, NAME)
    total = 0
    landed_at = datetime.now(timezone.utc)
    for batch in parquet_batches(source, SALES, 65_536, NAME, check=False):
        _convert_batch(SALES, batch, NAME, outputs, rejects, landed_at)
        total += batch.records
    outputs.discard()
    rejects.close()
    return _threshold_error(SALES, total, rejects.count, NAME)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as tmp:
        source = Path(tmp) / "sales.parquet"
        write_file(source, args.rows)
        print(f"input: {args.rows:,} rows, {source.stat().st_size / 1e6:.1f} MB of Parquet, one incompatible column")

        started = time.perf_counter()
        result = convert_file(SALES, source, Path(tmp) / "checked", source_name=NAME)
        checked = time.perf_counter() - started
        assert result.status == "rejected" and "`amount`" in (result.file_error or ""), result.file_error
        print(f"schema check first   {checked:8.3f} s  quarantined: {result.file_error}")

        started = time.perf_counter()
        error = row_by_row(source, Path(tmp) / "rows")
        old = time.perf_counter() - started
        assert error is not None
        print(f"row by row (before)  {old:8.3f} s  {error}")

    ratio = old / checked
    checks = [
        (f"schema check < {TARGET_SECONDS:.0f} s", checked < TARGET_SECONDS, f"{checked:.3f} s"),
        (f">= {TARGET_RATIO:.0f}x the row-by-row path", ratio >= TARGET_RATIO, f"{ratio:,.0f}x faster"),
    ]
    for label, passed, detail in checks:
        print(f"{'PASS' if passed else 'MISSED'}  {label:32} {detail}")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
