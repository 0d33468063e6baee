"""Random load sequences for the derived-table tests: new orders, updates that move an order across dates,
stale versions, re-uploads of a file under the same key with new content, and duplicates inside a batch.

Each order version becomes a canonical Parquet row on the real S3 endpoint (support/warehouse_batches.py).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.landing import FileVersion
from order_pipeline.warehouse.base import BatchFile, LoadBatch
from order_pipeline_tests.support.warehouse_batches import data_file

DAY0 = datetime(2026, 11, 18, tzinfo=timezone.utc)
STATUSES = ("paid", "shipped", "cancelled", "refunded", "pending")


@dataclass(frozen=True)
class Version:
    order_id: str
    order_ts: datetime
    updated_at: datetime
    status: str
    quantities: tuple[int, ...]


def rows(version: Version) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    price = Decimal("2.50")
    subtotal = price * sum(version.quantities)
    parent = {
        "order_id": version.order_id,
        "customer_id": "c-1",
        "order_ts": version.order_ts,
        "status": version.status,
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
        "updated_at": version.updated_at,
    }
    items = [
        {"order_id": version.order_id, "line_number": n, "sku": f"sku-{n}", "quantity": q, "unit_price": price}
        for n, q in enumerate(version.quantities, start=1)
    ]
    return parent, items


def versions_file(s3_client: Any, bucket: str, key: str, versions: list[Version]) -> BatchFile:
    """A loaded file under landing key `key` (a new ETag each time: a re-upload is new content)."""
    parents, items = [], []
    for position, version in enumerate(versions, start=1):
        parent, children = rows(version)
        parents.append(parent)
        items.extend({**child, "_parent": position} for child in children)
    source = FileVersion(
        bucket=bucket, key=key, etag=uuid.uuid4().hex, size=100, last_modified=DAY0 + timedelta(days=3)
    )
    return data_file(s3_client, bucket, ORDERS, key, {"orders": parents, "order_items": items}, source=source)


@dataclass
class LoadSequence:
    """A seeded generator of load batches; `latest` is what the orders table should hold afterwards."""

    rng: random.Random
    latest: dict[str, Version] = field(default_factory=dict)
    files: dict[str, list[Version]] = field(default_factory=dict)  # landing key -> its versions
    clock: int = 0
    loads: int = 0

    def _tick(self) -> datetime:
        self.clock += 1
        return DAY0 + timedelta(minutes=self.clock)

    def _moment(self) -> datetime:
        """An order time on one of six UTC dates, near midnight as often as not."""
        day = DAY0 + timedelta(days=self.rng.randrange(6))
        minutes = self.rng.choice((0, 1, 23 * 60 + 59, self.rng.randrange(24 * 60)))
        return day + timedelta(minutes=minutes)

    def _new(self) -> Version:
        order_id = f"o-{len(self.latest) + 1:05d}-{self.rng.randrange(10**6)}"
        quantities = tuple(self.rng.randrange(1, 4) for _ in range(self.rng.randrange(0, 4)))
        return Version(order_id, self._moment(), self._tick(), self.rng.choice(STATUSES), quantities)

    def _update(self) -> Version:
        old = self.latest[self.rng.choice(sorted(self.latest))]
        quantities = tuple(self.rng.randrange(1, 4) for _ in range(self.rng.randrange(0, 4)))
        moved = self._moment() if self.rng.random() < 0.7 else old.order_ts
        return Version(old.order_id, moved, self._tick(), self.rng.choice(STATUSES), quantities)

    def _stale(self) -> Version:
        old = self.latest[self.rng.choice(sorted(self.latest))]
        return replace(old, order_ts=self._moment(), updated_at=old.updated_at - timedelta(seconds=30), status="stale")

    def _file_versions(self) -> list[Version]:
        versions = []
        for _ in range(self.rng.randrange(1, 7)):
            roll = self.rng.random()
            if not self.latest or roll < 0.4:
                versions.append(self._new())
            elif roll < 0.85:
                versions.append(self._update())
            else:
                versions.append(self._stale())
        if versions and self.rng.random() < 0.2:  # the same order twice in one file: the later record wins
            versions.append(replace(versions[0], status="cancelled"))
        return versions

    def next_batch(self, s3_client: Any, bucket: str) -> LoadBatch:
        files, keys = [], set()
        for _ in range(self.rng.randrange(1, 4)):
            earlier = sorted(set(self.files) - keys)  # a batch holds one version of a key
            if earlier and self.rng.random() < 0.2:  # a re-upload: same key, new content
                key = self.rng.choice(earlier)
            else:
                key = f"landing/orders/2026/11/21/f{len(self.files):04d}.jsonl"
            versions = self._file_versions()
            self.files[key] = versions
            keys.add(key)
            files.append(versions_file(s3_client, bucket, key, versions))
            for version in versions:
                current = self.latest.get(version.order_id)
                if current is None or version.updated_at >= current.updated_at:
                    self.latest[version.order_id] = version
        self.loads += 1
        return LoadBatch(dataset=ORDERS, partition="2026-11-21", run_id=f"run-{self.loads}", files=tuple(files))
