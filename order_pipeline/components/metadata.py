"""Metadata a person can read on every materialization: schema, counts, paths, a small preview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.kinds import kind_named
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.lake_summary import LIST_LIMIT, LakeSummary

if TYPE_CHECKING:  # the step modules import pyarrow: not loaded with the code location
    from order_pipeline.steps.lake.convert_partition import LakeRun
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
                tags={"sensitive": "true"} if c.sensitive else None,
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


def bounded_list(items: Sequence[str]) -> dg.MetadataValue:
    """The first LIST_LIMIT items of a list; its count is an entry of its own beside it."""
    return dg.MetadataValue.json(list(items[:LIST_LIMIT]))


def lake_metadata(dataset: Dataset, table: str, layout: LakeLayout, run: LakeRun) -> dict[str, Any]:
    """What a lake materialization shows: rows, files and their fate, where the Parquet is, how long it took.
    Lists show their first LIST_LIMIT entries beside their count: the metadata does not grow with the files."""
    summary = run.summary
    return {
        **(drift_metadata(summary) if table == dataset.name else {}),
        "dagster/row_count": summary.rows.get(table, 0),
        "files": summary.files,
        "files_converted_now": summary.converted_now,
        "files_quarantined": summary.quarantined,
        "files_ignored": summary.ignored,
        "records_rejected": summary.records_rejected,
        "location": dg.MetadataValue.url(layout.uri(layout.lake_folder(table, run.partition))),
        "parts": bounded_list(summary.parts.get(table, [])),
        "parts_total": summary.parts_total.get(table, 0),
        "duration_seconds": run.seconds,
        "files_processed": markdown_table(
            ["file", "status", "records", "rows", "rejected"],
            [(f.key, f.status, f.records, f.rows.get(table, 0), f.rejected) for f in summary.samples],
        ),
    }


def warehouse_metadata(dataset: Dataset, table: str, run: WarehouseRun) -> dict[str, Any]:
    """What a warehouse materialization shows: the table's rows, what this load changed, and from which files."""
    plan = run.load
    metadata: dict[str, Any] = {
        "dagster/row_count": run.table_rows[table],
        # as schema evolution left the table (added columns come after the lineage columns)
        "dagster/column_schema": column_schema((plan.dataset or dataset).table_columns(table)),
        "files_loaded": plan.files_loaded,
        "files_pending_conversion": plan.not_converted_total,
        "files_dead_lettered": len(plan.dead_lettered),
        "load_batches": plan.batches,
        "duration_seconds": run.seconds,
        "sources": bounded_list(plan.sources),
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


def drift_metadata(summary: LakeSummary) -> dict[str, object]:
    """Undeclared fields seen in the partition's files: path, type, how many files, whether a column holds it."""
    if not summary.undeclared:
        return {}
    rows = [
        (path, type_, files, _warehouse(summary, path)) for path, (type_, files) in sorted(summary.undeclared.items())
    ]
    counts = {
        "undeclared_fields_not_listed": summary.undeclared_more,
        "undeclared_fields_not_tracked": summary.drift_untracked,
    }
    return {
        "schema_drift": markdown_table(["field", "type", "files", "warehouse"], rows),
        "undeclared_fields": dg.MetadataValue.json(sorted(summary.undeclared)[:LIST_LIMIT]),
        **{name: count for name, count in counts.items() if count},
        **({"columns_refused": dg.MetadataValue.json(summary.columns_refused)} if summary.columns_refused else {}),
    }


def _warehouse(summary: LakeSummary, path: str) -> str:
    if path in summary.evolved:
        return "column added"
    return "refused: over the cap of added columns" if path in summary.columns_refused else "reported only"
