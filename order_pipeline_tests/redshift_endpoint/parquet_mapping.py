"""COPY FROM Parquet, Redshift's way: columns by position, Parquet types checked against the column types, string
lengths checked in bytes, then the rows as CSV for PostgreSQL's own `COPY ... FROM STDIN`.

The type mapping follows Redshift's documented rule that the Parquet type must match the column
(copy-usage_notes-copy-from-columnar, and Spectrum's "incompatible Parquet schema" error 15007): a wider Parquet
integer does not go into a narrower column (int64 into INTEGER is refused), a decimal must keep its scale and
fit the precision (decimal(38,2) into DECIMAL(12,2) and decimal(12,3) into DECIMAL(12,2) are refused: no silent
rounding), strings go into VARCHAR/CHAR/SUPER only (a string into TIMESTAMPTZ is refused), and nested types go
into SUPER only with SERIALIZETOJSON. A Parquet string into SUPER stays a SUPER *string* (it is not parsed).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from order_pipeline_tests.redshift_endpoint.copy_errors import (
    DATA_ERROR,
    INCOMPATIBLE_SCHEMA,
    https_url,
    spectrum_failure,
)

COLUMNS_QUERY = """
SELECT a.attname,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
            ELSE format_type(a.atttypid, a.atttypmod) END,
       CASE WHEN t.typtype = 'd' THEN t.typname END
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass({table}) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_DOMAIN_BYTES = re.compile(r"^varchar_(\d+)$")


@dataclass(frozen=True)
class TargetColumn:
    name: str
    type: str  # Redshift's name: VARCHAR(3), DECIMAL(12,2), INTEGER, TIMESTAMPTZ, SUPER ...
    max_bytes: int | None = None  # VARCHAR/CHAR length, in bytes

    @property
    def kind(self) -> str:
        return re.sub(r"\(.*", "", self.type)


def _redshift_type(postgres_type: str, domain: str | None) -> tuple[str, int | None]:
    by_domain = _DOMAIN_BYTES.match(domain or "")
    if by_domain:
        return f"VARCHAR({by_domain.group(1)})", int(by_domain.group(1))
    sized = re.match(r"^(character varying|character)\((\d+)\)$", postgres_type)
    if sized:
        kind = "VARCHAR" if sized.group(1) == "character varying" else "CHAR"
        return f"{kind}({sized.group(2)})", int(sized.group(2))
    decimal = re.match(r"^numeric\((\d+),(\d+)\)$", postgres_type)
    if decimal:
        return f"DECIMAL({decimal.group(1)},{decimal.group(2)})", None
    names = {
        "smallint": "SMALLINT",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "real": "REAL",
        "double precision": "DOUBLE PRECISION",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp without time zone": "TIMESTAMP",
        "timestamp with time zone": "TIMESTAMPTZ",
        "jsonb": "SUPER",
        "bytea": "VARBYTE",
        "text": "VARCHAR(65535)",
        "character varying": "VARCHAR(65535)",
    }
    name = names.get(postgres_type, postgres_type.upper())
    return name, (65535 if name == "VARCHAR(65535)" else None)


def target_columns(rows: Sequence[Sequence[str | None]]) -> list[TargetColumn]:
    """The rows of COLUMNS_QUERY as Redshift-typed columns."""
    columns = []
    for name, postgres_type, domain in rows:
        type_name, max_bytes = _redshift_type(postgres_type or "", domain)
        columns.append(TargetColumn(name or "", type_name, max_bytes))
    return columns


def _accepts(column: TargetColumn, arrow: pa.DataType, serialize_to_json: bool) -> bool:
    kind = column.kind
    if pa.types.is_null(arrow):
        return True
    if pa.types.is_integer(arrow):
        width = arrow.bit_width + (1 if pa.types.is_unsigned_integer(arrow) else 0)
        limits = {"SMALLINT": 16, "INTEGER": 32, "BIGINT": 64}
        return kind in limits and width <= limits[kind]
    if pa.types.is_decimal(arrow):
        found = re.match(r"^DECIMAL\((\d+),(\d+)\)$", column.type)
        return bool(found) and arrow.scale == int(found.group(2)) and arrow.precision <= int(found.group(1))
    if pa.types.is_floating(arrow):
        return kind == "DOUBLE PRECISION" or (kind == "REAL" and arrow.bit_width <= 32)
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return kind in {"VARCHAR", "CHAR", "SUPER"}
    if pa.types.is_boolean(arrow):
        return kind == "BOOLEAN"
    if pa.types.is_date32(arrow):
        return kind == "DATE"
    if pa.types.is_timestamp(arrow):
        return kind in {"TIMESTAMP", "TIMESTAMPTZ"}
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return kind == "VARBYTE"
    if pa.types.is_nested(arrow):
        return kind == "SUPER" and serialize_to_json
    return False


def _parquet_type(field: pa.Field) -> str:
    """The Parquet schema line Spectrum quotes, approximately: `optional int64 quantity`."""
    repetition = "optional" if field.nullable else "required"
    return f"{repetition} {field.type} {field.name}"


def check_schema(url: str, schema: pa.Schema, columns: Sequence[TargetColumn], serialize_to_json: bool) -> None:
    """Column count and per-position type compatibility, as COPY checks before reading any row."""
    if len(schema) != len(columns):
        context = (
            f"Unmatched number of columns between table and file. Table columns: {len(columns)}, "
            f"Data columns: {len(schema)}, File name: {https_url(url)}"
        )
        raise spectrum_failure(
            INCOMPATIBLE_SCHEMA,
            context,
            url,
            reason=f"Unmatched number of columns between table and file. Table columns: "
            f"{len(columns)}, Data columns: {len(schema)}",
        )
    for field, column in zip(schema, columns, strict=True):
        if not _accepts(column, field.type, serialize_to_json):
            context = (
                f"File '{https_url(url)}' has an incompatible Parquet schema for column "
                f"'{url}.{column.name}'. Column type: {column.type}, Parquet schema:\n{_parquet_type(field)}"
            )
            raise spectrum_failure(
                INCOMPATIBLE_SCHEMA,
                context,
                url,
                colname=column.name,
                reason=f"incompatible Parquet schema: {column.type} <- {field.type}",
            )


def check_lengths(url: str, batch: pa.RecordBatch, columns: Sequence[TargetColumn]) -> None:
    """VARCHAR(n) holds n BYTES: the first value longer than that fails the COPY (error 15001)."""
    for array, column in zip(batch.columns, columns, strict=True):
        if column.max_bytes is None or not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            continue
        lengths = pc.binary_length(array)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > column.max_bytes:
            context = (
                f"The length of the data column {column.name} is longer than the length defined in the "
                f"table. Table: {column.max_bytes}, Data: {longest}, File name: {https_url(url)}"
            )
            raise spectrum_failure(
                DATA_ERROR, context, url, colname=column.name, reason="String length exceeds DDL length"
            )


def _json_text(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)


def _for_postgres(array: pa.Array, column: TargetColumn) -> pa.Array:
    """Values PostgreSQL's CSV input reads as Redshift would have stored them."""
    if column.kind == "VARBYTE" and not pa.types.is_null(array.type):
        return pa.array([None if value is None else "\\x" + value.hex() for value in array.to_pylist()], pa.string())
    if column.kind != "SUPER" or pa.types.is_null(array.type):
        return array
    # A Parquet string becomes a SUPER string (a JSON string here); nested values (SERIALIZETOJSON) become
    # the JSON they serialize to.
    return pa.array([None if value is None else _json_text(value) for value in array.to_pylist()], pa.string())


def csv_rows(batch: pa.RecordBatch, columns: Sequence[TargetColumn]) -> bytes:
    """The batch as PostgreSQL CSV: NULL unquoted-empty, every string quoted (so '' stays an empty string)."""
    arrays = [_for_postgres(array, column) for array, column in zip(batch.columns, columns, strict=True)]
    table = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()
