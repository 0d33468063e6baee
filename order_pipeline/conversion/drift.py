"""What a file holds that its dataset does not declare (schema drift), found before the file is converted so that
schema evolution can add the columns first.

Parquet: from the file's schema (every column; no data is read). JSON: from a sample, the records of the first MiB
(at most SAMPLE_RECORDS): a field first appearing later in a file is found in a later file, not in this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion.limits import DEFAULT_LIMITS, ConversionLimits
from order_pipeline.conversion.read.csv_reading import undeclared_csv_columns
from order_pipeline.conversion.read.formats import HEAD_BYTES, sniff
from order_pipeline.conversion.read.schema_check import Tree, UndeclaredField, declared_tree, undeclared_fields
from order_pipeline.conversion.read.text_sources import document_chunks, jsonl_chunks, open_stream
from order_pipeline.datasets.declaration import Dataset

SAMPLE_BYTES = 1 << 20
SAMPLE_RECORDS = 1000
MIXED = pa.struct([])  # values of several JSON types: only a json column holds them all
# Map-like objects (issue 20 item 5): when at least MAP_KEYS undeclared sibling keys are not names (a SKU, a number,
# an id with dashes: anything but [A-Za-z_][A-Za-z0-9_]*), they are keyed by data and reported as one path `<at>.*`.
MAP_KEYS = 32
MAP_PATH = "*"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _merge(types: Iterable[pa.DataType]) -> pa.DataType:
    kinds = set(types)
    if not kinds:
        return pa.null()
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {pa.int64(), pa.float64()}:
        return pa.float64()
    return MIXED


def infer_type(values: list[Any]) -> pa.DataType:
    """The Arrow type of JSON values (None ignored), with struct fields and list elements merged."""
    values = [v for v in values if v is not None]
    if not values:
        return pa.null()
    if all(isinstance(v, dict) for v in values):
        keys: dict[str, list[Any]] = {}
        for value in values:
            for key, child in value.items():
                keys.setdefault(key, []).append(child)
        return pa.struct([(key, infer_type(children)) for key, children in keys.items()])
    if all(isinstance(v, list) for v in values):
        return pa.list_(infer_type([element for value in values for element in value]))
    scalars = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}
    return _merge(scalars.get(type(v), MIXED) for v in values)


def undeclared_in_records(records: list[dict[str, Any]], tree: Tree, prefix: str) -> Iterator[UndeclaredField]:
    """The undeclared fields of JSON records, in the order `undeclared_fields` gives for their inferred schema.
    Only undeclared values have their type inferred: a sample of declared fields costs one dict lookup a key."""
    keys: dict[str, list[Any]] = {}
    for record in records:
        for key, value in record.items():
            keys.setdefault(key, []).append(value)
    data_keys = [key for key in keys if key not in tree and not _NAME.fullmatch(key)]
    if len(data_keys) >= MAP_KEYS:
        yield UndeclaredField(f"{prefix}{MAP_PATH}", infer_type([v for key in data_keys for v in keys[key]]))
        keys = {key: values for key, values in keys.items() if key in tree or _NAME.fullmatch(key)}
    for key, values in keys.items():
        path = f"{prefix}{key}"
        if key not in tree:
            yield UndeclaredField(path, infer_type(values))
            continue
        below = tree[key]
        if below is None:
            continue
        elements = [e for v in values if isinstance(v, list) for e in v if isinstance(e, dict)]
        if elements:
            yield from undeclared_in_records(elements, below, f"{path}[].")
        else:
            yield from undeclared_in_records([v for v in values if isinstance(v, dict)], below, f"{path}.")


def type_label(type_: pa.DataType) -> str:
    return "mixed JSON values" if type_ == MIXED else str(type_)


def sample_records(source: Path, name: str, limits: ConversionLimits = DEFAULT_LIMITS) -> list[Any]:
    """The first records of a JSON file (at most SAMPLE_RECORDS, from its first MiB, counted in bytes for JSON
    documents too: big elements make a small sample)."""
    fmt = sniff(_head(source), name)
    with open_stream(source, fmt, limits, name) as stream:
        chunks = (
            jsonl_chunks(stream, SAMPLE_BYTES, name, limits.max_record_bytes)
            if fmt.kind == "jsonl"
            else document_chunks(stream, SAMPLE_BYTES, name, limits)
        )
        chunk = next(iter(chunks), None)
    records = []
    for line in (chunk.data.split(b"\n") if chunk is not None else ())[:SAMPLE_RECORDS]:
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue  # bad records are the conversion's to report
    return [r for r in records if isinstance(r, dict)]


def _head(source: Path) -> bytes:
    with open(source, "rb") as file:
        return file.read(HEAD_BYTES)


def probe_file(
    dataset: Dataset, source: Path, name: str, limits: ConversionLimits = DEFAULT_LIMITS
) -> list[UndeclaredField]:
    """The undeclared fields of `source`; nothing when the file cannot be read (the conversion says why)."""
    try:
        fmt = sniff(_head(source), name)
        if fmt.kind == "parquet":
            schema = pq.ParquetFile(source).schema_arrow
            return undeclared_fields(dataset, schema)
        if fmt.kind in ("csv", "tsv"):
            return undeclared_csv_columns(dataset, source, fmt, name)
        return list(undeclared_in_records(sample_records(source, name, limits), declared_tree(dataset), ""))
    except Exception:  # noqa: BLE001 - drift is best effort; an unreadable file is quarantined by the conversion
        return []
