"""COPY's load errors on Redshift Serverless (issue 25, item 10), on the local endpoint's Serverless-like database:
no STL tables, and sys_load_error_detail numbers queries otherwise than PG_LAST_COPY_ID(). The rows are found by
session and file, whether the warehouse was told it is Serverless (IAM to a workgroup) or not (password auth)."""

from __future__ import annotations

import pytest

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.base import LoadError
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline_tests.support.warehouse_batches import Order, at, make_batch, orders_file

ROLE = "arn:aws:iam::123456789012:role/local-loader"


def broken_file(s3_client, bucket, name: str):
    file = orders_file(s3_client, bucket, name, Order(f"o-{name}", at(5)))
    bucket_name, key = file.parts["orders"][len("s3://") :].split("/", 1)
    s3_client.put_object(Bucket=bucket_name, Key=key, Body=b"not parquet at all")
    return file


@pytest.mark.parametrize("serverless", [False, True], ids=["password-auth", "iam-workgroup"])
def test_serverless_load_errors_come_from_sys_load_error_detail_by_session_and_file(
    redshift_serverless_connect, s3_client, bucket, serverless
):
    wh = RedshiftWarehouse(
        redshift_serverless_connect,
        s3_client,
        iam_role=ROLE,
        manifest_prefix=f"s3://{bucket}/_m/",
        serverless=serverless,
        base_delay=0.05,
    )
    wh.ensure_tables(ORDERS)
    first, second = broken_file(s3_client, bucket, "a"), broken_file(s3_client, bucket, "b")
    for file, other in ((first, second), (second, first)):
        with pytest.raises(LoadError) as failure:
            wh.load_batch(make_batch(ORDERS, file))
        message = str(failure.value)
        assert f"load errors: {file.parts['orders']}: " in message, message
        assert "is not a valid Parquet file" in message.partition("load errors: ")[2]
        assert other.parts["orders"] not in message  # the same session's earlier COPY is not this one
    wh.close()


def test_the_serverless_like_database_has_no_stl_tables(redshift_serverless_connect):
    conn = redshift_serverless_connect()
    cursor = conn.cursor()
    cursor.execute(
        "SELECT COUNT(*) FROM pg_catalog.pg_class WHERE relname IN ('stl_load_errors', 'sys_load_error_detail')"
    )
    assert cursor.fetchone()[0] == 1
    conn.close()
