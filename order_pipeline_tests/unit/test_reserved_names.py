"""Names a dataset may not take (issue 25, item 12): Redshift's system columns, the load's internal tables."""

from __future__ import annotations

import dataclasses
import re

import pyarrow as pa
import pytest

from order_pipeline.datasets.declaration import ChildTable, Column
from order_pipeline.datasets.evolution import SchemaState, observe
from order_pipeline.warehouse.base import LEDGER_TABLE
from order_pipeline.warehouse.sql_warehouse import temp_tables
from order_pipeline_tests.support.customers import CUSTOMERS

SYSTEM = ["oid", "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "insertxid", "deletexid"]


@pytest.mark.parametrize("name", SYSTEM)
def test_an_evolved_field_named_like_a_system_column_is_refused_with_a_reason(name):
    adding = dataclasses.replace(CUSTOMERS, new_columns="add")
    seen = observe(SchemaState(), adding, [(name, pa.int64(), True)], "s3://b/f.json", "now")
    assert seen.evolved == ()
    assert "Redshift system column name" in seen.not_evolved[name]
    assert seen.reported == (name,)  # still reported as drift


def test_a_system_column_evolved_earlier_is_left_out():
    adding = dataclasses.replace(CUSTOMERS, new_columns="add")
    state = SchemaState(evolved=(Column("xmin", "int64"), Column("note", "string")))
    assert [c.name for c in state.columns_for(adding)] == ["note"]


def test_a_declared_system_column_is_refused():
    with pytest.raises(ValueError, match="'oid' is a Redshift system column name"):
        dataclasses.replace(CUSTOMERS, columns=(*CUSTOMERS.columns, Column("oid", "int64")))


@pytest.mark.parametrize("name", ["stage_orders", "batch$files", LEDGER_TABLE])
def test_a_dataset_cannot_take_an_internal_table_name(name):
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        dataclasses.replace(CUSTOMERS, name=name)
    child = ChildTable(name=name, source="lines", position_column="n", columns=(Column("x", "string"),))
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        dataclasses.replace(CUSTOMERS, children=(child,))


def test_internal_names_never_meet_a_dataset_table_or_each_other():
    """A dataset `batch_files` and a child `customers_dup` once shared names with the load's own temp tables."""
    child = ChildTable(name="batch_files_dup", source="lines", position_column="n", columns=(Column("x", "string"),))
    for name, children in (("batch_files", ()), ("customers", (dataclasses.replace(child, name="customers_dup"),))):
        dataset = dataclasses.replace(CUSTOMERS, name=name, children=children)
        internal = temp_tables(dataset)
        assert len(set(internal)) == len(internal)
        assert not set(internal) & {*dataset.table_names, LEDGER_TABLE}
