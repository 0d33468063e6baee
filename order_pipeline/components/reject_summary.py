"""What a notification says of a rejected record (issue 20 item 6): where it is and why, never its content by
default.

SNS subscribers (e-mail) are not where customer data belongs: the raw record stays in the quarantine object the
notification links to (`rejects`). With ORDER_PIPELINE_NOTIFY_RAW_PREVIEW=true a short preview of the raw record
is added, the values of columns declared `sensitive` masked even then (and a record that could not be parsed is
not previewed at all when the dataset declares sensitive columns: its text cannot be masked field by field)."""

from __future__ import annotations

from typing import Any

import orjson

from order_pipeline.datasets.declaration import Dataset

SHOWN_KEYS = ("record", "line", "field", "reason")
PREVIEW_CHARS = 500
MASK = "(masked: sensitive)"
Path = tuple[str, ...]


def reject_summary(report: dict[str, Any], dataset: Dataset | None = None, raw_preview: bool = False) -> dict[str, Any]:
    """A reject report without its raw record: record number, line, field and reason; with `raw_preview`, also
    the head of its raw record with the sensitive fields of `dataset` masked."""
    shown = {key: report[key] for key in SHOWN_KEYS if key in report}
    if raw_preview and "raw" in report:
        shown["raw_preview"] = _preview(report["raw"], sensitive_paths(dataset) if dataset else [])
    return shown


def sensitive_paths(dataset: Dataset) -> list[Path]:
    """Where the values of the columns declared sensitive are in a raw record (a child's: in each element)."""
    paths = [tuple(c.source_path.split(".")) for c in dataset.columns if c.sensitive]
    for child in dataset.children:
        prefix = tuple(child.source.split("."))
        paths += [prefix + tuple(c.source_path.split(".")) for c in child.columns if c.sensitive]
    return paths


def _masked(value: Any, paths: list[Path]) -> Any:
    if not paths:
        return value
    if isinstance(value, list):
        return [_masked(element, paths) for element in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, child in value.items():
        below = [p[1:] for p in paths if p[0] == key]
        out[key] = MASK if any(not p for p in below) else _masked(child, below)
    return out


def _preview(raw: Any, paths: list[Path]) -> str:
    if not isinstance(raw, dict) and paths:
        return "(withheld: a record that could not be read as an object cannot have its sensitive fields masked)"
    text = raw if isinstance(raw, str) else orjson.dumps(_masked(raw, paths), default=str).decode()
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
