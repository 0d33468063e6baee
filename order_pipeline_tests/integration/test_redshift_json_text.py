"""A json value longer than its staging VARCHAR(65535) (issue 25, item 11), on the local Redshift-compatible
endpoint: such a part fails the file's COPY, so conversion rejects that record and the file's others load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.datasets.declaration import Column
from order_pipeline.warehouse.base import BatchFile, LoadError
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline_tests.support.customers import CUSTOMERS
from order_pipeline_tests.support.order_samples import write_jsonl
from order_pipeline_tests.support.warehouse_batches import (
    T0,
    customer,
    data_file,
    landing_version,
    make_batch,
    put_parquet,
)

ROLE = "arn:aws:iam::123456789012:role/local-loader"
WITH_JSON = dataclasses.replace(CUSTOMERS, columns=(*CUSTOMERS.columns, Column("profile", "json")))
LONG = {"note": "x" * 70_000}


@pytest.fixture
def warehouse(redshift_connect, s3_client, bucket):
    wh = RedshiftWarehouse(
        redshift_connect, s3_client, iam_role=ROLE, manifest_prefix=f"s3://{bucket}/_m/", serverless=False
    )
    wh.ensure_tables(WITH_JSON)
    yield wh
    wh.close()


def test_a_part_with_json_text_over_65535_bytes_fails_the_whole_copy(warehouse, s3_client, bucket):
    """Why conversion must catch it: the staged VARCHAR(65535) refuses the part, every record of the file with it."""
    rows = [{**customer(1, 1, "Ann"), "profile": '{"a": 1}'}, {**customer(2, 1, "Bo"), "profile": str(LONG)}]
    with pytest.raises(LoadError, match="COPY into staging of customers failed"):
        warehouse.load_batch(make_batch(WITH_JSON, data_file(s3_client, bucket, WITH_JSON, "a", {"customers": rows})))


def test_conversion_rejects_the_long_json_record_and_the_rest_of_the_file_loads(
    warehouse, s3_client, bucket, tmp_path: Path
):
    records = [
        {**customer(1, 1, "Ann"), "signed_up_at": T0.isoformat(), "profile": {"gift": True}},
        {**customer(2, 1, "Bo"), "signed_up_at": T0.isoformat(), "profile": LONG},
        {**customer(3, 1, "Cy"), "signed_up_at": T0.isoformat(), "profile": {"note": "y" * 65_000}},
    ]
    source = landing_version(bucket, WITH_JSON, "long-json")
    result = convert_file(
        WITH_JSON, write_jsonl(tmp_path / "in.jsonl", records), tmp_path / "out", source_name=source.uri, landed_at=T0
    )
    assert result.counts == {"read": 3, "written": 2, "rejected": 1}
    assert result.first_rejects[0]["field"] == "profile"
    assert "more than the 65535 bytes" in result.first_rejects[0]["reason"]
    table = pq.read_table(tmp_path / "out" / "customers.parquet")
    part = put_parquet(s3_client, bucket, "canonical/customers/long-json/customers.parquet", table)
    batch = make_batch(WITH_JSON, BatchFile(source=source, parts={"customers": part}, rows={"customers": 2}))
    assert warehouse.load_batch(batch).inserted == 2
    rows = warehouse.query('SELECT "customer_id", OCTET_LENGTH(JSON_SERIALIZE("profile")) FROM "customers" ORDER BY 1')
    assert [r[0] for r in rows] == [1, 3] and rows[1][1] > 65_000
