"""A Parquet file's schema is checked before any row is read: a file that cannot fit is quarantined in one step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline.conversion import convert_file
from order_pipeline.conversion.read.schema_check import schema_problems, undeclared_fields
from order_pipeline.datasets.declaration import ChildTable, Column, Dataset
from order_pipeline.datasets.orders import ORDERS

SALES = Dataset(
    name="sales",
    merge_key=("sale_id",),
    event_time_column="sold_on",
    version_column="revision",
    columns=(
        Column("sale_id", "int32", nullable=False),
        Column("sku", "string", nullable=False, max_bytes=32),
        Column("sold_on", "date", nullable=False),
        Column("amount", "decimal", precision=15, scale=2, nullable=False),
        Column("revision", "int64", nullable=False),
        Column("note", "string", max_bytes=256),
    ),
)
ROWS = 600_000


def _sales(rows: int, amount: pa.Array | None = None) -> pa.Table:
    ids = np.arange(1, rows + 1, dtype=np.int32)
    return pa.table(
        {
            "sale_id": pa.array(ids),
            "sku": pa.array(np.char.add("SKU-", (ids % 1000).astype(str)), pa.string_view()),
            "sold_on": pa.array(np.full(rows, 20_000, dtype=np.int32)).cast(pa.date32()),
            "amount": amount
            if amount is not None
            else pa.array(ids.astype(np.int64)).cast(pa.decimal128(38, 2)).cast(pa.decimal128(15, 2)),
            "revision": pa.array(np.ones(rows, dtype=np.int64)),
            "note": pa.array(["n"] * rows, pa.large_string()),
        }
    )


def test_a_600k_row_file_with_one_incompatible_column_is_quarantined_in_one_step(tmp_path: Path):
    moments = pa.array(np.full(ROWS, 1_763_600_000_000_000, dtype=np.int64)).cast(pa.timestamp("us", tz="UTC"))
    source = tmp_path / "sales.parquet"
    pq.write_table(_sales(ROWS, amount=moments), source)
    result = convert_file(SALES, source, tmp_path / "out", source_name="s3://b/landing/sales/x.parquet")
    assert result.status == "rejected" and result.outputs == {}
    # one message naming the column, its type and what was expected; no row-by-row rejects at all
    assert result.file_error == (
        "s3://b/landing/sales/x.parquet: the Parquet schema does not fit dataset 'sales', so none of its 600000 "
        "rows was read: `amount` is timestamp[us, tz=UTC], expected decimal(15,2): a decimal number (decimal, "
        "integer or float)"
    )
    assert result.rejected_records == 0 and result.rejects_path is None and result.first_rejects == ()
    assert result.total_records == ROWS and result.counts == {"read": 0, "written": 0, "rejected": 0}


def test_the_same_file_with_a_fitting_column_loads(tmp_path: Path):
    source = tmp_path / "sales.parquet"
    pq.write_table(_sales(1000), source)
    result = convert_file(SALES, source, tmp_path / "out")
    assert result.status == "converted" and result.rows == {"sales": 1000}


def test_every_offending_column_is_named_once():
    schema = pa.schema(
        [
            ("sale_id", pa.struct([("a", pa.int8())])),
            ("sku", pa.binary()),
            ("amount", pa.bool_()),
            ("revision", pa.int64()),
            ("note", pa.list_(pa.string())),
        ]
    )
    problems = schema_problems(SALES, schema)
    assert problems == [
        "`sale_id` is struct<a: int8>, expected int: an integer (any width, signed or not)",
        "`sku` is binary, expected string: a string (string, large_string, string_view or dictionary-encoded)",
        "`sold_on` is missing (a required date)",
        "`amount` is bool, expected decimal(15,2): a decimal number (decimal, integer or float)",
        "`note` is list<item: string>, expected string: a string (string, large_string, string_view or "
        "dictionary-encoded)",
    ]


def test_child_lists_and_their_element_columns_are_checked():
    element = pa.struct([("sku", pa.string()), ("quantity", pa.bool_()), ("unit_price", pa.decimal128(12, 2))])
    nested = pa.schema([(f.name, f.type) for f in ORDERS.arrow_schema() if not f.name.startswith("_")])
    assert schema_problems(ORDERS, nested.append(pa.field("items", pa.large_list(element)))) == [
        "`items[].quantity` is bool, expected int: an integer (any width, signed or not)"
    ]
    assert schema_problems(ORDERS, nested.append(pa.field("items", pa.string()))) == [
        "`items` is string, expected a list of order_items objects"
    ]


def test_undeclared_fields_are_found_at_every_level():
    schema = pa.schema(
        [
            ("order_id", pa.string()),
            ("coupon", pa.string()),
            ("shipping_address", pa.struct([("city", pa.string()), ("floor", pa.int8())])),
            ("items", pa.list_(pa.struct([("sku", pa.string()), ("gift", pa.bool_())]))),
            ("ship_city", pa.string()),  # a flattened canonical name is declared
        ]
    )
    found = {f.path: (str(f.type), f.top_level) for f in undeclared_fields(ORDERS, schema)}
    assert found == {
        "coupon": ("string", True),
        "shipping_address.floor": ("int8", False),
        "items[].gift": ("bool", False),
    }


def test_a_dataset_that_rejects_unexpected_fields_names_them_in_the_check():
    strict = Dataset(
        name="s",
        merge_key=("k",),
        event_time_column="k",
        version_column="k",
        columns=(Column("k", "int64", nullable=False),),
        extra_fields="reject",
        children=(ChildTable("c", "c", columns=(Column("v", "string"),)),),
    )
    schema = pa.schema([("k", pa.int64()), ("x", pa.int8()), ("c", pa.list_(pa.struct([("v", pa.string())])))])
    assert schema_problems(strict, schema) == ["`x` is not declared (the dataset rejects unexpected fields)"]


def test_naive_timestamps_need_a_declared_zone():
    at = Dataset(
        name="t",
        merge_key=("k",),
        event_time_column="at",
        columns=(Column("k", "int64", nullable=False), Column("at", "timestamp")),
    )
    schema = pa.schema([("k", pa.int64()), ("at", pa.timestamp("ns"))])
    assert "`at` is timestamp[ns] without a time zone" in schema_problems(at, schema)[0]
    zoned = Dataset(
        name="t",
        merge_key=("k",),
        event_time_column="at",
        columns=(Column("k", "int64", nullable=False), Column("at", "timestamp", naive_timezone="UTC")),
    )
    assert schema_problems(zoned, schema) == []
