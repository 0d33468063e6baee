"""Metadata a person can read on every materialization: schema, counts, paths, a small preview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.kinds import kind_named
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.convert_partition import LakeRun
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.warehouse.load_partition import WarehouseRun


def type_name(column: Column) -> str:
    """The display name of a column's kind (datasets/kinds.py), e.g. `decimal(12,2)`."""
    return kind_named(column.kind).display.format(
        precision=column.precision, scale=column.scale, max_bytes=column.byte_limit
    )


def column_schema(columns: Iterable[Column]) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=type_name(c),
                description=c.description or None,
                constraints=dg.TableColumnConstraints(nullable=c.nullable),
            )
            for c in columns
        ]
    )


def markdown_text(value: object) -> str:
    """`value` as literal text in markdown: every ASCII character other than a letter, a digit or a space
    becomes a numeric character reference, which markdown shows as that character and never reads as markup.
    A file name or a reason holding `![x](https://…)`, `<img …>`, `*`, a backquote or a bare URL (which GitHub's
    markdown links by itself) shows as written, and a line break cannot end a table row."""
    return "".join(f"&#{ord(c)};" if ord(c) < 128 and not (c.isalnum() or c == " ") else c for c in str(value))


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], limit: int = 20) -> dg.MetadataValue:
    """A small table in markdown metadata; every cell (S3 keys, reasons, values) is escaped (markdown_text)."""
    lines = ["| " + " | ".join(markdown_text(h) for h in header) + " |", "|" + "---|" * len(header)]
    for count, row in enumerate(rows):
        if count >= limit:
            lines.append(f"| … | {' | '.join('' for _ in header[1:])} |")
            break
        lines.append("| " + " | ".join(markdown_text(value) for value in row) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def lake_metadata(dataset: Dataset, table: str, layout: LakeLayout, run: LakeRun) -> dict[str, Any]:
    """What a lake materialization shows: rows, files and their fate, where the Parquet is, how long it took."""
    records = run.records
    return {
        **(drift_metadata(records) if table == dataset.name else {}),
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
            [(r.source.key, r.status, r.total_records, r.rows.get(table, 0), r.rejected_records) for r in records],
        ),
    }


def warehouse_metadata(dataset: Dataset, table: str, run: WarehouseRun) -> dict[str, Any]:
    """What a warehouse materialization shows: the table's rows, what this load changed, and from which files."""
    plan = run.load
    loaded = [f for f in plan.loaded_files if f.status != "rejected"]
    metadata: dict[str, Any] = {
        "dagster/row_count": run.table_rows[table],
        # as schema evolution left the table (added columns come after the lineage columns)
        "dagster/column_schema": column_schema((plan.dataset or dataset).table_columns(table)),
        "files_loaded": len(loaded),
        "files_pending_conversion": len(plan.not_converted),
        "files_dead_lettered": len(plan.dead_lettered),
        "duration_seconds": run.seconds,
        "sources": dg.MetadataValue.json([f.source.uri for f in loaded]),
    }
    if table == dataset.name:
        metadata.update(
            {
                "rows_inserted": plan.total("inserted"),
                "rows_updated": plan.total("updated"),
                "stale_rows_skipped": plan.total("stale"),
            }
        )
    else:
        metadata["rows_written"] = plan.child_rows().get(table, 0)
    return metadata


def drift_metadata(records: Sequence[ConvertedFile]) -> dict[str, object]:
    """Undeclared fields seen in the partition's files: path, type, how many files, whether a column holds it."""
    seen: dict[str, tuple[str, int]] = {}
    for record in records:
        for path, type_ in record.undeclared.items():
            seen[path] = (type_, seen.get(path, (type_, 0))[1] + 1)
    if not seen:
        return {}
    evolved = {name for record in records for name in record.evolved}
    rows = [
        (path, type_, files, "column added" if path in evolved else "reported only")
        for path, (type_, files) in sorted(seen.items())
    ]
    return {
        "schema_drift": markdown_table(["field", "type", "files", "warehouse"], rows),
        "undeclared_fields": dg.MetadataValue.json(sorted(seen)),
    }
