"""Two partition loads launched together into the same tables both complete with correct counts.

Each load runs on its own connection and thread, as two Dagster runs would; a serialization conflict between
them is retried by the backend (the Dagster pool 'warehouse' additionally queues them in a deployment).
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse
from order_pipeline_tests.integration.test_redshift_warehouse import ROLE
from order_pipeline_tests.support.warehouse_batches import Order, at, make_batch, orders_file


def test_two_partition_loads_launched_together_both_complete(redshift_connect, s3_client, bucket):
    connect = redshift_connect
    setup = RedshiftWarehouse(connect, s3_client, iam_role=ROLE, manifest_prefix=f"s3://{bucket}/_manifests/",
                              serverless=False)
    setup.ensure_tables(ORDERS)
    batches = []
    for day in range(2):
        orders = [Order(f"D{day}-{n:03d}", at(n), items=1 + n % 3) for n in range(40)]
        # one order present in both partitions: the later version must win whichever load commits last
        orders.append(Order("SHARED-1", at(100 + day) + timedelta(minutes=day), status=("paid", "shipped")[day]))
        file = orders_file(s3_client, bucket, f"day{day}.parquet", *orders)
        batches.append(dataclasses.replace(make_batch(ORDERS, file, run_id=f"run-{day}"),
                                           partition=f"2026-11-2{day}"))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def load(batch):
        warehouse = RedshiftWarehouse(connect, s3_client, iam_role=ROLE,
                                      manifest_prefix=f"s3://{bucket}/_manifests/", serverless=False,
                                      base_delay=0.05, max_attempts=8)
        try:
            start.wait()
            warehouse.load_batch(batch)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            warehouse.close()

    threads = [threading.Thread(target=load, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert setup.query('SELECT COUNT(*), COUNT(DISTINCT "order_id") FROM "orders"')[0] == (81, 81)
    assert setup.query('SELECT "status" FROM "orders" WHERE "order_id" = ?', ["SHARED-1"]) == [("shipped",)]
    assert setup.query('SELECT COUNT(*) FROM "order_items"')[0][0] == 2 * sum(1 + n % 3 for n in range(40)) + 1
    assert setup.query('SELECT COUNT(*) FROM "file_ledger"')[0][0] == 2
    setup.close()
