"""Metadata a person can read on every materialization: schema, counts, paths, a small preview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.convert_partition import LakeRun
from order_pipeline.steps.load_partition import WarehouseRun

_TYPE_NAMES = {"decimal": "decimal({precision},{scale})", "string": "string", "int32": "int", "int64": "bigint",
               "timestamp": "timestamp (UTC)", "boolean": "boolean", "json": "json"}


def column_schema(columns: Iterable[Column]) -> dg.TableSchema:
    return dg.TableSchema(columns=[
        dg.TableColumn(name=c.name, type=_TYPE_NAMES[c.kind].format(precision=c.precision, scale=c.scale),
                       description=c.description or None,
                       constraints=dg.TableColumnConstraints(nullable=c.nullable))
        for c in columns
    ])


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], limit: int = 20) -> dg.MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for count, row in enumerate(rows):
        if count >= limit:
            lines.append(f"| … | {' | '.join('' for _ in header[1:])} |")
            break
        lines.append("| " + " | ".join(str(value).replace("|", "\\|") for value in row) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def lake_metadata(dataset: Dataset, table: str, layout: LakeLayout, run: LakeRun) -> dict[str, Any]:
    """What a lake materialization shows: rows, files and their fate, where the Parquet is, how long it took."""
    records = run.records
    return {
        "dagster/row_count": sum(r.rows.get(table, 0) for r in records),
        "files": len(records),
        "files_converted_now": len(run.converted_now),
        "files_quarantined": sum(r.status == "rejected" for r in records),
        "files_ignored": sum(r.status == "ignored" for r in records),
        "records_rejected": sum(r.rejected_records for r in records),
        "location": dg.MetadataValue.url(layout.uri(layout.lake_folder(table, run.partition))),
        "parts": dg.MetadataValue.json([r.parts[table] for r in records if r.parts.get(table)]),
        "duration_seconds": run.seconds,
        "files_processed": markdown_table(
            ["file", "status", "records", "rows", "rejected"],
            [(r.source.key, r.status, r.total_records, r.rows.get(table, 0), r.rejected_records) for r in records]),
    }


def warehouse_metadata(dataset: Dataset, table: str, run: WarehouseRun) -> dict[str, Any]:
    """What a warehouse materialization shows: the table's rows, what this load changed, and from which files."""
    plan = run.load
    loaded = [f for f in plan.loaded_files if f.status != "rejected"]
    metadata: dict[str, Any] = {
        "dagster/row_count": run.table_rows[table],
        "files_loaded": len(loaded),
        "files_pending_conversion": len(plan.not_converted),
        "files_dead_lettered": len(plan.dead_lettered),
        "duration_seconds": run.seconds,
        "sources": dg.MetadataValue.json([f.source.uri for f in loaded]),
    }
    if table == dataset.name:
        metadata.update({"rows_inserted": plan.total("inserted"), "rows_updated": plan.total("updated"),
                         "stale_rows_skipped": plan.total("stale")})
    else:
        metadata["rows_written"] = plan.child_rows().get(table, 0)
    return metadata
