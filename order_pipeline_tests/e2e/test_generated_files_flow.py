"""Property test through the real sensor and runs: generated files with records around the read chunk size,
bad records anywhere and every kind of line end. For every file, records read = rows written + rejected (on its
conversion record), and the warehouse holds exactly the latest version of each good order.

The read chunk size is lowered to 1 KiB for this test (the engine's MAX_CHUNK_BYTES tuning constant), so that
small files cross many chunk boundaries; the code path is the one production runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.conversion import engine
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake.convert_partition import read_record
from order_pipeline_tests.support.generated_files import generated_file

DAY = datetime.now(timezone.utc).date() - timedelta(days=1)
CHUNK_BYTES = 1024
SEEDS = range(1000, 1016)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks this small put many chunk boundaries inside each generated file."""
    monkeypatch.setattr(engine, "MAX_CHUNK_BYTES", CHUNK_BYTES)


def test_generated_files_are_counted_exactly_and_the_latest_versions_win(pipeline) -> None:
    files = {seed: generated_file(seed, prefix="PROP", chunk_bytes=CHUNK_BYTES) for seed in SEEDS}
    root = f"{pipeline.settings.landing_root('orders')}{DAY:%Y/%m/%d}/"
    for file in files.values():
        pipeline.land(root + file.name, file.content)
    assert sum(len(f.bad) for f in files.values()) >= 40 and sum(len(f.good) for f in files.values()) >= 200

    outcome = pipeline.tick()

    (run,) = outcome.runs
    assert run.success
    versions = {
        v.key.rsplit("/", 1)[-1]: v
        for v in list_landing_day(pipeline.s3, pipeline.settings.bucket, pipeline.settings.landing_root("orders"), DAY)
    }
    for file in files.values():
        record = read_record(pipeline.s3, pipeline.settings.layout, ORDERS, DAY.isoformat(), versions[file.name])
        assert record is not None and record.status == ("partial" if file.bad else "converted"), file.name
        assert record.counts == {"read": len(file.records), "written": len(file.good), "rejected": len(file.bad)}
        assert record.total_records == record.rows["orders"] + record.rejected_records
    expected = {
        order_id: (r.order["status"], r.record, f.name) for f in files.values() for order_id, r in f.latest().items()
    }
    rows = pipeline.query('SELECT order_id, status, _source_record, _source_file FROM "orders"')
    held = {order_id: (status, number, uri.rsplit("/", 1)[-1]) for order_id, status, number, uri in rows}
    assert len(rows) == len(held) == len(expected)
    assert held == expected
    ledger = pipeline.query('SELECT status, COUNT(*) FROM "file_ledger" GROUP BY status')
    assert ledger == [("loaded", len(files))]
