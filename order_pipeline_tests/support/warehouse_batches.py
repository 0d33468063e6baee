"""Helpers shared by the warehouse integration tests: canonical Parquet parts written to the real S3 endpoint."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.datasets.declaration import SOURCE_FILE_COLUMN, SOURCE_RECORD_COLUMN, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse.base import BatchFile, LoadBatch

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def put_parquet(s3_client: Any, bucket: str, key: str, table: pa.Table) -> str:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3_client.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())
    return f"s3://{bucket}/{key}"


def landing_version(bucket: str, dataset: Dataset, name: str) -> FileVersion:
    return FileVersion(
        bucket=bucket,
        key=f"landing/{dataset.name}/2026/11/20/{name}.jsonl",
        etag=uuid.uuid4().hex,
        size=1234,
        last_modified=T0,
    )


def data_file(
    s3_client: Any,
    bucket: str,
    dataset: Dataset,
    name: str,
    tables: dict[str, list[dict[str, Any]]],
    source: FileVersion | None = None,
) -> BatchFile:
    """A loaded file: one canonical Parquet part per table; lineage columns filled in here.

    Parent rows get `_source_record` = position (1-based); child rows carry `_source_record` already
    (their parent's), or get it from `_parent` (the parent's position).
    """
    source = source or landing_version(bucket, dataset, name)
    parts, rows = {}, {}
    for table in dataset.table_names:
        records = []
        for position, row in enumerate(tables.get(table, []), start=1):
            row = dict(row)
            record = row.pop("_parent", position)
            records.append({**row, SOURCE_FILE_COLUMN: source.uri, SOURCE_RECORD_COLUMN: record})
        schema = dataset.arrow_schema(table)
        arrow = pa.Table.from_pylist(records, schema=schema)
        parts[table] = put_parquet(
            s3_client, bucket, f"canonical/{dataset.name}/{source.short_id}/{table}.parquet", arrow
        )
        rows[table] = arrow.num_rows
    return BatchFile(source=source, parts=parts, rows=rows)


@dataclass(frozen=True)
class Order:
    order_id: str
    updated_at: datetime
    status: str = "paid"
    items: int = 1


def order_rows(order: Order) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    price = Decimal("10.00")
    subtotal = price * order.items
    parent = {
        "order_id": order.order_id,
        "customer_id": "c-1",
        "order_ts": T0,
        "status": order.status,
        "currency": "EUR",
        "payment_method": "card",
        "ship_name": "A",
        "ship_street": "B",
        "ship_city": "C",
        "ship_postal_code": "1",
        "ship_country": "DE",
        "subtotal": subtotal,
        "shipping": Decimal("0.00"),
        "tax": Decimal("0.00"),
        "total": subtotal,
        "updated_at": order.updated_at,
    }
    items = [
        {"order_id": order.order_id, "line_number": n, "sku": f"sku-{n}", "quantity": 1, "unit_price": price}
        for n in range(1, order.items + 1)
    ]
    return parent, items


def orders_file(s3_client: Any, bucket: str, name: str, *orders: Order) -> BatchFile:
    parents, items = [], []
    for position, order in enumerate(orders, start=1):
        parent, children = order_rows(order)
        parents.append(parent)
        items.extend({**child, "_parent": position} for child in children)
    return data_file(s3_client, bucket, ORDERS, name, {"orders": parents, "order_items": items})


def rejected_file(bucket: str, dataset: Dataset, name: str, status: str = "quarantined") -> BatchFile:
    return BatchFile(
        source=landing_version(bucket, dataset, name),
        status=status,  # type: ignore[arg-type]
        error=f"{name} is not valid JSON",
    )


def make_batch(dataset: Dataset, *files: BatchFile, run_id: str = "run-1") -> LoadBatch:
    return LoadBatch(dataset=dataset, partition="2026-11-20", run_id=run_id, files=tuple(files))


def customer(customer_id: int, version: int, name: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "name": name,
        "vip": version > 1,
        "signed_up_at": T0,
        "version": version,
    }
