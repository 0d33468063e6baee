"""Names the warehouse and Redshift both want (issue 25, item 12), on the local Redshift-compatible endpoint:
two runs adding the same evolved column at once, a permanent table named like a staging table, and a system
column name declared or evolved."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from order_pipeline.datasets.declaration import Column
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline_tests.support.customers import CUSTOMERS
from order_pipeline_tests.support.redshift_fixtures import wait_for_lock_waiters
from order_pipeline_tests.support.warehouse_batches import customer, data_file, make_batch

ROLE = "arn:aws:iam::123456789012:role/local-loader"


def warehouse_for(connect, s3_client, bucket) -> RedshiftWarehouse:
    return RedshiftWarehouse(
        connect, s3_client, iam_role=ROLE, manifest_prefix=f"s3://{bucket}/_m/", serverless=False, base_delay=0.05
    )


def test_two_runs_adding_the_same_column_at_once_both_succeed(redshift_endpoint, redshift_connect, s3_client, bucket):
    """Both runs read the table's columns before either adds `email`; the second ALTER TABLE then finds it
    there ("already exists"). The same column and type is what it wanted: success, not a failed run."""
    setup = warehouse_for(redshift_connect, s3_client, bucket)
    setup.ensure_tables(CUSTOMERS)
    setup.close()
    evolved = dataclasses.replace(CUSTOMERS, evolved=(Column("email", "string", max_bytes=65535),))
    holder = redshift_connect()
    holder.cursor().execute('LOCK TABLE "customers"')  # both ALTER TABLEs wait here, columns already read
    runs = [warehouse_for(redshift_connect, s3_client, bucket) for _ in range(2)]
    errors: list[BaseException] = []

    def ensure(wh: RedshiftWarehouse) -> None:
        try:
            wh.ensure_tables(evolved)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ensure, args=(wh,)) for wh in runs]
    for thread in threads:
        thread.start()
    wait_for_lock_waiters(redshift_endpoint, redshift_endpoint.database, count=2)
    holder.commit()
    for thread in threads:
        thread.join(60)
    holder.close()
    assert errors == []
    file = data_file(
        s3_client, bucket, evolved, "a", {"customers": [{**customer(1, 1, "Ann"), "email": "ann@example.org"}]}
    )
    assert runs[0].load_batch(make_batch(evolved, file)).inserted == 1
    assert runs[1].query('SELECT "email" FROM "customers"') == [("ann@example.org",)]
    for wh in runs:
        wh.close()


def test_a_load_never_drops_a_permanent_table_named_like_its_staging(redshift_connect, s3_client, bucket):
    """`stage_customers` may be anyone's permanent table: the load drops only its own temporary tables."""
    wh = warehouse_for(redshift_connect, s3_client, bucket)
    wh.ensure_tables(CUSTOMERS)
    for name in ("stage_customers", "stage$batch_files", "stage_batch_files"):
        wh.query(f'CREATE TABLE "{name}" ("note" VARCHAR(16))')
        wh.query(f'INSERT INTO "{name}" VALUES (?)', ["keep me"])
    file = data_file(s3_client, bucket, CUSTOMERS, "a", {"customers": [customer(1, 1, "Ann"), customer(2, 1, "Bo")]})
    assert wh.load_batch(make_batch(CUSTOMERS, file)).inserted == 2
    assert wh.load_batch(make_batch(CUSTOMERS, file, run_id="run-2")).updated == 2  # a second load, same session
    for name in ("stage_customers", "stage$batch_files", "stage_batch_files"):
        assert wh.query(f'SELECT "note" FROM "{name}"') == [("keep me",)]
    wh.close()


@pytest.mark.parametrize("name", ["oid", "xmin", "insertxid", "deletexid", "ctid"])
def test_the_endpoint_refuses_a_system_column_name_as_redshift_does(redshift_connect, s3_client, bucket, name):
    """What the evolution guard prevents: Redshift refuses a user column named like one of its system columns."""
    wh = warehouse_for(redshift_connect, s3_client, bucket)
    wh.ensure_tables(CUSTOMERS)
    with pytest.raises(Exception, match="conflicts with a system column name"):
        wh.query(f'ALTER TABLE "customers" ADD COLUMN "{name}" BIGINT')
    wh.close()
