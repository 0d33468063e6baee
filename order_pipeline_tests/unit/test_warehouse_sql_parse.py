"""Every statement the backends can emit parses as what it claims to be (sqlglot, redshift / duckdb)."""

from __future__ import annotations

import inspect

import pytest
import sqlglot
from sqlglot import exp

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY
from order_pipeline.warehouse import sql_copy, sql_ddl, sql_load
from order_pipeline.warehouse.sql_names import FILES_STAGE, losers_name, stage_name
from order_pipeline_tests.unit.test_warehouse_sql_names import RESERVED


def statements(dialect: str) -> dict[str, tuple[str, type[exp.Expression]]]:
    """name -> (sql, expected sqlglot node) for ORDERS and a dataset of reserved words."""
    out: dict[str, tuple[str, type[exp.Expression]]] = {}
    for ds in (ORDERS, RESERVED):
        for table in ds.table_names:
            out[f"{ds.name}.{table}.create"] = (sql_ddl.dataset_table_sql(ds, table, dialect), exp.Create)
            out[f"{ds.name}.{table}.stage"] = (sql_ddl.staging_table_sql(ds, table, dialect), exp.Create)
            out[f"{ds.name}.{table}.count"] = (sql_load.count_sql(stage_name(table)), exp.Select)
            out[f"{ds.name}.{table}.drop"] = (sql_ddl.drop_temp_sql(stage_name(table)), exp.Drop)
            for column in ds.table_columns(table):
                out[f"{ds.name}.{table}.add.{column.name}"] = (
                    sql_ddl.add_column_sql(table, column, dialect),
                    exp.Alter,
                )
            if dialect == "redshift":
                copy = sql_copy.copy_sql(
                    stage_name(table), "s3://b/_manifests/m.manifest", "arn:aws:iam::123456789012:role/Loader"
                )
                out[f"{ds.name}.{table}.copy"] = (copy, exp.Copy)
        for child in ds.children:
            out[f"{ds.name}.{child.name}.child_delete"] = (
                sql_load.child_delete_sql(ds, child.name),
                exp.Delete,
            )
            out[f"{ds.name}.{child.name}.child_insert"] = (
                sql_load.child_insert_sql(ds, child.name, dialect),
                exp.Insert,
            )
            out[f"{ds.name}.{child.name}.child_count"] = (
                sql_load.child_count_sql(ds, child.name),
                exp.Select,
            )
        out[f"{ds.name}.dedup_losers"] = (sql_load.dedup_losers_sql(ds), exp.Create)
        out[f"{ds.name}.dedup_delete"] = (sql_load.dedup_delete_sql(ds), exp.Delete)
        out[f"{ds.name}.drop_losers"] = (sql_ddl.drop_temp_sql(losers_name(ds.name)), exp.Drop)
        out[f"{ds.name}.stale_delete"] = (sql_load.stale_delete_sql(ds), exp.Delete)
        out[f"{ds.name}.matched_count"] = (sql_load.matched_count_sql(ds), exp.Select)
        out[f"{ds.name}.merge"] = (sql_load.merge_sql(ds, dialect), exp.Merge)
        if dialect == "redshift":
            out[f"{ds.name}.lock"] = (sql_load.lock_tables_sql(ds), exp.Command)  # sqlglot has no LOCK grammar
    out["ledger.create"] = (sql_ddl.ledger_table_sql(dialect), exp.Create)
    for column in sql_ddl.LEDGER_COLUMNS:
        out[f"ledger.add.{column.name}"] = (sql_ddl.add_column_sql("file_ledger", column, dialect), exp.Alter)
    out["files.create"] = (sql_ddl.files_stage_sql(dialect), exp.Create)
    out["files.drop"] = (sql_ddl.drop_temp_sql(FILES_STAGE), exp.Drop)
    out["files.insert.1"] = (sql_load.insert_files_sql(1), exp.Insert)
    out["files.insert.200"] = (sql_load.insert_files_sql(200), exp.Insert)
    out["ledger.insert"] = (sql_load.ledger_insert_sql(), exp.Insert)
    out["ledger.statuses.1"] = (sql_load.ledger_statuses_sql(1), exp.Select)
    out["ledger.statuses.500"] = (sql_load.ledger_statuses_sql(500), exp.Select)
    out["ledger.partitions.1"] = (sql_load.ledger_partitions_sql(1), exp.Select)
    out["ledger.partitions.35"] = (sql_load.ledger_partitions_sql(35), exp.Select)
    out["ledger.exists"] = (sql_load.ledger_table_exists_sql(), exp.Select)
    out["columns"] = (sql_ddl.existing_columns_sql(), exp.Select)
    drop, create, count = sql_ddl.rebuild_table_sql("daily_order_summary", DAILY_ORDER_SUMMARY.select_sql)
    out["rebuild.drop"], out["rebuild.create"], out["rebuild.count"] = (
        (drop, exp.Drop), (create, exp.Create), (count, exp.Select))
    if dialect == "redshift":
        out["load_errors.serverless"] = (sql_copy.load_errors_sql(True), exp.Select)
        out["load_errors.provisioned"] = (sql_copy.load_errors_sql(False), exp.Select)
    return out


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
