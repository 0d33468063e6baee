"""Metadata a person can read on every materialization: schema, counts, paths, a small preview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

from order_pipeline.datasets.declaration import Column

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
