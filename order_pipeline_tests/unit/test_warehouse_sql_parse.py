"""Every statement the backends can emit parses as what it claims to be (sqlglot, redshift / duckdb)."""

from __future__ import annotations

import inspect

import pytest
import sqlglot
from sqlglot import exp

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse import sql_copy, sql_ddl, sql_load
from order_pipeline_tests.support.sql_corpus import RESERVED, statements


@pytest.mark.parametrize("dialect", ["redshift", "duckdb"])
def test_every_statement_parses_as_its_kind(dialect):
    found = statements(dialect)
    assert len(found) > 60
    for name, (sql, kind) in found.items():
        tree = sqlglot.parse_one(sql, read=dialect)
        if kind is exp.Command:  # only LOCK: checked by its own test below
            assert tree.this == "LOCK", f"{name}: {sql}"
            continue
        assert not isinstance(tree, exp.Command), f"{name}: sqlglot fell back to an opaque command: {sql}"
        assert isinstance(tree, kind), f"{name}: parsed as {type(tree).__name__}, expected {kind.__name__}"


INDIRECT = {"sql_ddl.create_table_sql"}  # reached only through the dataset/ledger/staging builders


def test_the_enumeration_covers_every_sql_builder():
    """A new *_sql builder must be added to `statements` (and so be parsed) to pass this test."""
    builders = {
        f"{module.__name__.rsplit('.', 1)[1]}.{name}"
        for module in (sql_ddl, sql_load, sql_copy)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if name.endswith("_sql") and fn.__module__ == module.__name__
    }
    source = inspect.getsource(statements)
    missing = {name for name in builders - INDIRECT if f"{name}(" not in source}
    assert len(builders) > 15 and not missing, missing


def test_lock_names_every_table_of_the_dataset_and_the_ledger_in_a_fixed_order():
    assert sql_load.lock_tables_sql(ORDERS) == 'LOCK TABLE "orders", "order_items", "file_ledger"'


def test_json_reaches_super_through_json_parse_on_redshift_only():
    merge = sqlglot.parse_one(sql_load.merge_sql(RESERVED, "redshift"), read="redshift")
    parsed = [node.sql("redshift") for node in merge.find_all(exp.ParseJSON)]
    assert parsed == ['JSON_PARSE("s"."user")', 'JSON_PARSE("s"."user")']  # UPDATE SET and INSERT VALUES
    assert "JSON_PARSE" not in sql_load.merge_sql(RESERVED, "duckdb")


def test_merge_targets_and_sources_plain_tables():
    tree = sqlglot.parse_one(sql_load.merge_sql(ORDERS), read="redshift")
    assert isinstance(tree.this, exp.Table) and tree.this.name == "orders"
    source = tree.args["using"]
    assert isinstance(source, exp.Table) and source.name == "stage_orders"  # never a subquery
