"""Metadata a person can read on every materialization: schema, counts, paths, a small preview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

from order_pipeline.datasets.declaration import Column
from order_pipeline.datasets.kinds import kind_named


def type_name(column: Column) -> str:
    """The display name of a column's kind (datasets/kinds.py), e.g. `decimal(12,2)`."""
    return kind_named(column.kind).display.format(precision=column.precision, scale=column.scale,
                                                  max_bytes=column.byte_limit)


def column_schema(columns: Iterable[Column]) -> dg.TableSchema:
    return dg.TableSchema(columns=[
        dg.TableColumn(name=c.name, type=type_name(c),
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
