"""The role 'warehouse' as a resource: one small interface (`open`/`connect`), the embedded DuckDB backend here,
Redshift in `redshift_resource.py`. The deployment picks one by configuration; assets never ask which one they got."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from pydantic import Field

from order_pipeline.warehouse.base import Warehouse
from order_pipeline.warehouse.duckdb_memory import DEFAULT_MEMORY_LIMIT


class WarehouseResource(dg.ConfigurableResource):
    """The role 'warehouse': DuckDB (embedded default) or Redshift. Assets never ask which one they got."""

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        """A warehouse connection. `wait_seconds` bounds how long to wait for a warehouse another process holds
        (sensors pass a short wait and try again next tick); None waits as long as a load reasonably takes."""
        raise NotImplementedError

    @contextmanager
    def connect(self, s3_client: Any, *, wait_seconds: float | None = None) -> Iterator[Warehouse]:
        """The warehouse for the duration of a `with` block, closed after it."""
        db = self.open(s3_client, wait_seconds=wait_seconds)
        try:
            yield db
        finally:
            db.close()


class DuckDBWarehouseResource(WarehouseResource):
    path: str = Field(description="DuckDB database file (created if missing)")
    memory_limit: str = Field(
        default=DEFAULT_MEMORY_LIMIT,
        description="DuckDB's memory_limit: above it a load spills to <database>.tmp instead of holding the partition",
    )

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        # imported on first use: loading the definitions (and a Redshift deployment) never pays for duckdb
        from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

        if wait_seconds is None:
            return DuckDBWarehouse(self.path, s3_client, memory_limit=self.memory_limit)
        return DuckDBWarehouse(self.path, s3_client, lock_wait_seconds=wait_seconds, memory_limit=self.memory_limit)
