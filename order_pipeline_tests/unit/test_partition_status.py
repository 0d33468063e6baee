"""A partition's status from its files: all quarantined, or more records lost than the dataset allows, fails."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.landing import FileVersion
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.partition_status import partition_status


def record(name: str, status: str, total: int = 10, rejected: int = 0, error: str | None = None) -> ConvertedFile:
    version = FileVersion("b", f"landing/orders/2026/11/20/{name}", "e", 1, datetime(2026, 11, 20, tzinfo=timezone.utc))
    rejects = [{"record": 3, "field": "total", "reason": "total differs"}] if rejected else []
    return ConvertedFile(
        source=version,
        partition="2026-11-20",
        status=status,
        total_records=total,  # type: ignore[arg-type]
        rejected_records=rejected,
        error=error,
        first_rejects=rejects,
    )


def test_no_files_and_good_files_pass():
    assert partition_status(ORDERS, []).passed
    status = partition_status(ORDERS, [record("a", "converted"), record("m", "ignored", total=0)])
    assert status.passed and (status.files, status.files_loadable, status.files_ignored) == (2, 1, 1)


def test_every_file_quarantined_fails_with_the_reasons():
    status = partition_status(
        ORDERS,
        [
            record("a", "rejected", error="s3://b/a: not JSON"),
            record("m", "ignored", total=0),
            record("c", "rejected", error="empty"),
        ],
    )
    assert status.failure == "all 2 file(s) of the partition were quarantined"
    assert [r["reason"] for r in status.reasons] == ["s3://b/a: not JSON", "empty"]
    assert status.records_lost == 20


def test_lost_records_count_rejects_and_quarantined_files_against_the_limits():
    limited = dataclasses.replace(ORDERS, max_bad_records=15, max_bad_ratio=0.5)
    one_bad_file = [record("a", "converted", total=100), record("b", "rejected", total=16, error="schema")]
    assert partition_status(limited, one_bad_file).failure == (
        "16 of 116 records were rejected or quarantined, more than the dataset allows (15)"
    )
    partial = [record("a", "partial", total=20, rejected=11)]
    assert partition_status(limited, partial).failure == (
        "11 of 20 records (55%) were rejected or quarantined, more than the dataset allows (50%)"
    )
    within = [record("a", "partial", total=40, rejected=10), record("b", "converted", total=10)]
    status = partition_status(limited, within)
    assert status.passed and status.records_lost == 10
    assert status.reasons[0]["reason"] == "10 records rejected, e.g. record 3: total: total differs"
