"""A pending file's parent part brought to the dataset's current column layout before it is loaded.

A part holds the evolved columns of its dataset as they were when it was converted. When a later file added
columns before this one was loaded, the part lacks them at the end: it is rewritten in place with them as nulls
(and its conversion record updated), so that every part of a load has the staging table's columns in the same
positions (Redshift's Parquet COPY maps by position) and DuckDB's by-name read finds them all.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.aws.s3_objects import parse_s3_uri, put_bytes
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.lake_files import ConvertedFile


def conformed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with `schema`'s columns in its order: missing ones (evolved later) as nulls."""
    arrays = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def conform_part(s3: Any, layout: LakeLayout, dataset: Dataset, converted: ConvertedFile) -> ConvertedFile:
    """`converted` with its parent part in `dataset`'s layout (rewritten only when it differs)."""
    wanted = [c.name for c in dataset.evolved]
    uri = converted.parts.get(dataset.name)
    if converted.evolved == wanted or uri is None or not converted.loadable:
        return converted
    bucket, key = parse_s3_uri(uri)
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    sink = io.BytesIO()
    pq.write_table(conformed(table, dataset.arrow_schema()), sink, compression="snappy")
    put_bytes(s3, bucket, key, sink.getvalue())
    # the lake step's local copy of the part (found by its old ETag) is the unconformed one: forget its ETag, so
    # the load reads the rewritten part from S3
    part_etags = {table: etag for table, etag in converted.part_etags.items() if table != dataset.name}
    updated = dataclasses.replace(converted, evolved=wanted, part_etags=part_etags)
    put_bytes(
        s3,
        layout.bucket,
        layout.record_key(dataset.name, converted.partition, converted.source),
        updated.to_json().encode(),
        "application/json",
    )
    return updated
