"""Concurrent loads on Redshift, under both isolation levels, through the real driver and the local endpoint.

* SERIALIZABLE (the endpoint's `dev`): a conflict is reported in Redshift's shape (error 1023) and retried.
* SNAPSHOT (new clusters' and Serverless' default, REPEATABLE READ on the endpoint): nothing stops two loads of
  the same new key from both inserting it, except the LOCK the merge transaction takes first.
Each load runs on its own connection and thread, as two Dagster runs would.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
import redshift_connector

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline.warehouse.redshift_errors import is_serialization_conflict
from order_pipeline_tests.support.redshift_fixtures import wait_for_lock_waiters
from order_pipeline_tests.support.warehouse_batches import Order, at, make_batch, orders_file

ROLE = "arn:aws:iam::123456789012:role/local-loader"


def warehouse_for(connect, s3_client, bucket: str) -> RedshiftWarehouse:
    return RedshiftWarehouse(
        connect,
        s3_client,
        iam_role=ROLE,
        manifest_prefix=f"s3://{bucket}/_manifests/",
        serverless=False,
        base_delay=0.05,
        max_attempts=8,
    )


def run_in_threads(*work) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_a_serializable_conflict_arrives_in_redshifts_shape(redshift_connect):
    holder, other = redshift_connect(), redshift_connect()
    holder.cursor().execute('CREATE TABLE "counter" ("k" INTEGER, "v" INTEGER)')
    holder.cursor().execute('INSERT INTO "counter" VALUES (1, 0)')
    holder.commit()
    other.cursor().execute('SELECT "v" FROM "counter"')  # other's snapshot predates holder's update
    holder.cursor().execute('UPDATE "counter" SET "v" = 1 WHERE "k" = 1')
    holder.commit()
    with pytest.raises(redshift_connector.ProgrammingError) as conflict:
        other.cursor().execute('UPDATE "counter" SET "v" = 2 WHERE "k" = 1')
    fields = conflict.value.args[0]
    assert (fields["C"], fields["M"]) == ("XX000", "1023")
    assert fields["D"].startswith("Serializable isolation violation on table")
    assert is_serialization_conflict(conflict.value)
    other.rollback()


def test_a_serializable_conflict_is_retried(redshift_endpoint, redshift_connect, s3_client, bucket):
    """The warehouse's statement waits for a row another session updates, then fails with error 1023 when that
    session commits; the retry runs on a fresh snapshot and succeeds."""
    warehouse = warehouse_for(redshift_connect, s3_client, bucket)
    warehouse.query('CREATE TABLE "counter" ("k" INTEGER, "v" INTEGER)')
    warehouse.query('INSERT INTO "counter" VALUES (1, 0)')
    holder = redshift_connect()
    holder.cursor().execute('UPDATE "counter" SET "v" = "v" + 1 WHERE "k" = 1')

    def release_when_waited_for() -> None:
        wait_for_lock_waiters(redshift_endpoint, redshift_endpoint.database)
        holder.commit()

    errors = run_in_threads(
        lambda: warehouse.query('UPDATE "counter" SET "v" = "v" + 10 WHERE "k" = 1'), release_when_waited_for
    )
    assert errors == []
    assert warehouse.query('SELECT "v" FROM "counter"') == [(11,)]  # both updates, the retried one once
    warehouse.close()


def test_two_partition_loads_launched_together_both_complete(redshift_connect, s3_client, bucket):
    setup = warehouse_for(redshift_connect, s3_client, bucket)
    setup.ensure_tables(ORDERS)
    batches = []
    for day in range(2):
        orders = [Order(f"D{day}-{n:03d}", at(n), items=1 + n % 3) for n in range(40)]
        # one order present in both partitions: the later version must win whichever load commits last
        orders.append(Order("SHARED-1", at(100 + day) + timedelta(minutes=day), status=("paid", "shipped")[day]))
        file = orders_file(s3_client, bucket, f"day{day}.parquet", *orders)
        batches.append(dataclasses.replace(make_batch(ORDERS, file, run_id=f"run-{day}"), partition=f"2026-11-2{day}"))
    start = threading.Barrier(2)

    def load(batch):
        warehouse = warehouse_for(redshift_connect, s3_client, bucket)
        try:
            start.wait()
            warehouse.load_batch(batch)
        finally:
            warehouse.close()

    assert run_in_threads(*(lambda b=b: load(b) for b in batches)) == []
    assert setup.query('SELECT COUNT(*), COUNT(DISTINCT "order_id") FROM "orders"')[0] == (81, 81)
    assert setup.query('SELECT "status" FROM "orders" WHERE "order_id" = ?', ["SHARED-1"]) == [("shipped",)]
    assert setup.query('SELECT COUNT(*) FROM "order_items"')[0][0] == 2 * sum(1 + n % 3 for n in range(40)) + 1
    assert setup.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == 2
    setup.close()


def test_snapshot_isolation_alone_lets_two_transactions_insert_the_same_new_key(redshift_snapshot_connect):
    """The hazard the LOCK removes, shown with plain statements: under SNAPSHOT both MERGEs insert `k1`."""
    first, second = redshift_snapshot_connect(), redshift_snapshot_connect()
    first.cursor().execute('CREATE TABLE "t" ("k" VARCHAR(8), "v" INTEGER)')
    first.cursor().execute('CREATE TABLE "src" ("k" VARCHAR(8), "v" INTEGER)')
    first.cursor().execute("INSERT INTO \"src\" VALUES ('k1', 1)")
    first.commit()
    merge = (
        'MERGE INTO "t" USING "src" AS "s" ON "t"."k" = "s"."k" WHEN MATCHED THEN UPDATE SET "v" = "s"."v" '
        'WHEN NOT MATCHED THEN INSERT ("k", "v") VALUES ("s"."k", "s"."v")'
    )
    first.cursor().execute('SELECT COUNT(*) FROM "t"')  # both snapshots taken before either writes
    second.cursor().execute('SELECT COUNT(*) FROM "t"')
    first.cursor().execute(merge)
    first.commit()
    second.cursor().execute(merge)
    second.commit()
    cursor = first.cursor()
    cursor.execute('SELECT COUNT(*) FROM "t" WHERE "k" = \'k1\'')
    assert cursor.fetchone()[0] == 2


def test_under_snapshot_a_load_waits_for_a_concurrent_writer_and_then_sees_its_row(
    redshift_endpoint, redshift_snapshot_database, redshift_snapshot_connect, s3_client, bucket
):
    """Another writer holds the orders table and commits the new key while our load waits to merge it. The
    LOCK is the merge transaction's first statement, so our snapshot is taken after that commit: the MERGE
    updates the row. (Taking the snapshot before waiting, as without the LOCK, would insert a second row.)"""
    warehouse = warehouse_for(redshift_snapshot_connect, s3_client, bucket)
    warehouse.ensure_tables(ORDERS)
    warehouse.load_batch(make_batch(ORDERS, orders_file(s3_client, bucket, "seed", Order("OTHER", at(0)))))
    holder = redshift_snapshot_connect()
    holder.cursor().execute('LOCK TABLE "orders"')

    def writer() -> None:
        """Commits NEW-1 (an older version) while our load waits for the orders table."""
        wait_for_lock_waiters(redshift_endpoint, redshift_snapshot_database)
        cursor = holder.cursor()
        cursor.execute('CREATE TEMP TABLE "copy" AS SELECT * FROM "orders" WHERE "order_id" = \'OTHER\'')
        cursor.execute('UPDATE "copy" SET "order_id" = \'NEW-1\', "status" = \'paid\'')
        cursor.execute('INSERT INTO "orders" SELECT * FROM "copy"')
        holder.commit()

    later = orders_file(s3_client, bucket, "later", Order("NEW-1", at(5), "shipped"))
    errors = run_in_threads(lambda: warehouse.load_batch(make_batch(ORDERS, later, run_id="ours")), writer)
    assert errors == []
    assert warehouse.query('SELECT "status", COUNT(*) FROM "orders" WHERE "order_id" = \'NEW-1\' GROUP BY 1') == [
        ("shipped", 1)
    ]
    warehouse.close()


def test_two_concurrent_loads_of_the_same_new_keys_under_snapshot_leave_one_row_per_key(
    redshift_snapshot_connect, s3_client, bucket
):
    setup = warehouse_for(redshift_snapshot_connect, s3_client, bucket)
    setup.ensure_tables(ORDERS)
    batches = []
    for run in range(2):
        orders = [
            Order(f"NEW-{n:03d}", at(n) + timedelta(minutes=run), ("paid", "shipped")[run], items=1 + n % 2)
            for n in range(30)
        ]
        batches.append(make_batch(ORDERS, orders_file(s3_client, bucket, f"run{run}", *orders), run_id=f"run-{run}"))
    both_staged = threading.Barrier(2, timeout=60)

    def load(batch):
        warehouse = warehouse_for(redshift_snapshot_connect, s3_client, bucket)
        try:
            warehouse.load_batch(batch, after_stage=both_staged.wait)  # both reach the merge together
        finally:
            warehouse.close()

    assert run_in_threads(*(lambda b=b: load(b) for b in batches)) == []
    assert setup.query('SELECT COUNT(*), COUNT(DISTINCT "order_id") FROM "orders"')[0] == (30, 30)
    assert setup.query('SELECT DISTINCT "status" FROM "orders"') == [("shipped",)]  # the later versions won
    items = setup.query('SELECT COUNT(*), COUNT(DISTINCT "order_id" || \':\' || "line_number") FROM "order_items"')
    assert items[0] == (sum(1 + n % 2 for n in range(30)),) * 2
    assert setup.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == 2
    setup.close()
