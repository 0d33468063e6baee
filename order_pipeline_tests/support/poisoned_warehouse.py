"""A persistent, file-specific warehouse fault: the real DuckDB backend, which refuses any batch holding a loaded
file whose key contains "poison" while `marker` exists. After the retries the warehouse step dead-letters the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import build_resources
from order_pipeline.components.warehouse_resource import DuckDBWarehouseResource
from order_pipeline.config import load_settings
from order_pipeline.warehouse.base import LoadBatch, LoadResult, Warehouse
from order_pipeline.warehouse.duckdb_backend import DuckDBWarehouse


class PoisonedDuckDBWarehouse(DuckDBWarehouse):
    def __init__(self, path: str, s3_client: Any, *, marker: str) -> None:
        super().__init__(path, s3_client)
        self._marker = Path(marker)

    def load_batch(self, batch: LoadBatch, *, after_stage=None) -> LoadResult:
        poisoned = [f for f in batch.files if "poison" in f.source.key and f.status == "loaded"]
        if poisoned and self._marker.exists():
            raise ValueError(f"value out of range in {poisoned[0].source.uri} (injected)")
        return super().load_batch(batch, after_stage=after_stage)


class PoisonedDuckDBResource(DuckDBWarehouseResource):
    marker: str

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        return PoisonedDuckDBWarehouse(self.path, s3_client, marker=self.marker)


def poisoned_definitions(marker: Path) -> dg.Definitions:
    settings = load_settings()
    resources = build_resources(settings)
    resources["warehouse"] = PoisonedDuckDBResource(path=str(settings.duckdb_path), marker=str(marker))
    return build_definitions(settings, resources=resources)
