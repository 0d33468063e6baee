"""Replaying the rejects of a CSV or TSV file: its rejected records written back as CSV (a header, then one
row per rejected record, fixed or not), so that the replayed file is read with the same kinds as the original.
A record that could not be split into fields (an unclosed quote, a wrong field count) was kept as its text and
is written back as that text."""

from __future__ import annotations

import csv
import io
import json

from order_pipeline.conversion.read.formats import delimited_kind
from order_pipeline.datasets.declaration import Dataset

REJECTS_SUFFIX = ".rejects.jsonl"


def rejects_source_kind(name: str) -> str | None:
    """ "csv" or "tsv" when `name` is the rejects file of a CSV or TSV landing file
    (`<file>.csv.<version id>.rejects.jsonl`), else None."""
    if not name.endswith(REJECTS_SUFFIX):
        return None
    source = name[: -len(REJECTS_SUFFIX)].rsplit(".", 1)[0]  # without the version's short id
    return delimited_kind(source)


def csv_from_rejects(content: bytes, source: str, kind: str, dataset: Dataset) -> bytes:
    entries = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{source} line {number} is not a reject entry: {error}") from error
        raw = entry.get("raw") if isinstance(entry, dict) else None
        if raw is None:
            raise ValueError(f"{source} line {number} has no 'raw' record to replay")
        entries.append(raw)
    header: list[str] = []
    for raw in entries:
        if isinstance(raw, dict):
            header.extend(name for name in raw if name not in header)
    if not header:
        header = [c.source_path for c in dataset.value_columns]
    delimiter = "\t" if kind == "tsv" else (dataset.csv.delimiter or ",")
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, quotechar=dataset.csv.quote, lineterminator="\n")
    writer.writerow(header)
    for raw in entries:
        if isinstance(raw, dict):
            writer.writerow(["" if raw.get(name) is None else raw[name] for name in header])
        else:
            out.write(str(raw).rstrip("\r\n") + "\n")
    return out.getvalue().encode()
