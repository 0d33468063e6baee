"""Honest status, on both warehouses: a partition whose every file was quarantined shows a failed check with the
counts, the reasons and the quarantine location — not a silent green run over an empty table."""

from __future__ import annotations

import dataclasses
import html
import io
from datetime import datetime, timezone

import dagster as dg
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline_tests.support.pipeline_harness import local_pipeline

TODAY = datetime.now(timezone.utc).date()

PAYMENTS = Dataset(
    name="payments",
    merge_key=("payment_id",),
    event_time_column="paid_at",
    version_column="version",
    max_bad_records=10,
    max_bad_ratio=0.2,
    columns=(
        Column("payment_id", "int64", nullable=False),
        Column("amount", "decimal", precision=12, scale=2, nullable=False),
        Column("paid_at", "timestamp", nullable=False),
        Column("version", "int64", nullable=False),
    ),
)
CHECK = "payments_files_not_quarantined"


def payment(number: int, amount: object = "9.99") -> dict:
    return {"payment_id": number, "amount": amount, "paid_at": "2026-11-20T08:00:00Z", "version": 1}


def jsonl(*records: dict) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def wrong_schema_parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(
        pa.table(
            {"payment_id": [1, 2], "amount": [True, False], "paid_at": ["2026-11-20T08:00:00Z"] * 2, "version": [1, 1]}
        ),
        sink,
    )
    return sink.getvalue()


def check_of(outcome) -> dg.AssetCheckEvaluation:
    (run,) = outcome.runs
    (evaluation,) = [e for e in run.get_asset_check_evaluations() if e.check_name == CHECK]
    assert evaluation.asset_key == dg.AssetKey(["lake", "payments_parquet"])
    return evaluation


def test_a_partition_whose_every_file_is_quarantined_fails_its_check(aws_endpoint, bucket, tmp_path, warehouse_env):  # noqa: F811
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(PAYMENTS,), extra_env=warehouse_env) as pipeline:
        prefix = f"{pipeline.settings.landing_root('payments')}{TODAY:%Y/%m/%d}"
        pipeline.land(f"{prefix}/export.parquet", wrong_schema_parquet())
        pipeline.land(f"{prefix}/notes.txt", b"not json at all\n")
        outcome = pipeline.tick(PAYMENTS)
        assert not outcome.failed_runs  # the run itself succeeds: the check says what went wrong
        check = check_of(outcome)
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        metadata = {key: value.value for key, value in check.metadata.items()}
        assert metadata["failure"] == "all 2 file(s) of the partition were quarantined"
        assert (metadata["files"], metadata["files_quarantined"], metadata["files_loadable"]) == (2, 2, 0)
        reasons = html.unescape(metadata["reasons"])  # the table's cells are markdown-escaped
        assert "`amount` is bool, expected decimal(12,2)" in reasons
        assert "notes.txt" in reasons and "not JSON" in reasons
        assert metadata["quarantine_location"] == f"s3://{bucket}/quarantine/payments/dt={TODAY.isoformat()}/"
        assert pipeline.query('SELECT COUNT(*) FROM "payments"') == [(0,)]
        failed = [m for m in pipeline.notifications() if m["event_type"] == "check_failed"]
        assert [m["check"] for m in failed] == [CHECK]


def test_too_many_rejects_fail_with_error_severity_when_declared(aws_endpoint, bucket, tmp_path, warehouse_env):  # noqa: F811
    strict = dataclasses.replace(PAYMENTS, quarantine_check="error")
    with local_pipeline(aws_endpoint, bucket, tmp_path, datasets=(strict,), extra_env=warehouse_env) as pipeline:
        prefix = f"{pipeline.settings.landing_root('payments')}{TODAY:%Y/%m/%d}"
        pipeline.land(f"{prefix}/good.jsonl", jsonl(*(payment(n) for n in range(1, 21))))
        first = check_of(pipeline.tick(strict))
        assert first.passed and first.metadata["records_rejected_or_quarantined"].value == 0
        # each file stays within the per-file limits (3 of 20 bad); together they lose 12 records, above 10
        for batch in range(4):
            first_id = 100 + batch * 20
            records = [payment(n, amount="12.345") for n in range(first_id, first_id + 3)]
            records += [payment(n) for n in range(first_id + 3, first_id + 20)]
            pipeline.land(f"{prefix}/batch-{batch}.jsonl", jsonl(*records))
        second = check_of(pipeline.tick(strict))
        assert not second.passed and second.severity == dg.AssetCheckSeverity.ERROR
        assert second.metadata["failure"].value == (
            "12 of 100 records were rejected or quarantined, more than the dataset allows (10)"
        )
        assert second.metadata["files_quarantined"].value == 0 and second.metadata["files_loadable"].value == 5
        assert "decimal places" in second.metadata["reasons"].value
        assert pipeline.query('SELECT COUNT(*) FROM "payments"') == [(88,)]
