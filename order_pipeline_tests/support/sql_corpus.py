"""Statements the backends emit, by name, for ORDERS and for a dataset named with reserved words: what the SQL
parse tests and the statement-record test read."""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.orders_summary import DAILY_ORDER_SUMMARY
from order_pipeline.warehouse import sql_checks, sql_copy, sql_ddl, sql_derived, sql_history, sql_keyrange, sql_load
from order_pipeline.warehouse.sql_names import FILES_STAGE, losers_name, stage_name

# Every name a reserved word: the SQL builders must quote each one everywhere.
RESERVED = Dataset(
    name="group",
    merge_key=("order",),
    version_column="select",
    event_time_column="from",
    columns=(
        Column("order", "string", nullable=False, max_bytes=16),
        Column("select", "int64", nullable=False),
        Column("from", "timestamp", nullable=False),
        Column("user", "json"),
    ),
)


def statements(dialect: str) -> dict[str, tuple[str, type[exp.Expression]]]:
    """name -> (sql, expected sqlglot node) for ORDERS and a dataset of reserved words."""
    out: dict[str, tuple[str, type[exp.Expression]]] = {}
    for ds in (ORDERS, RESERVED):
        key = sql_keyrange.key_range(ds, "a'1", "z9")  # the batch's key range, inlined (a quote to escape)
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
            out[f"{ds.name}.{child.name}.child_delete.keyed"] = (
                sql_load.child_delete_sql(ds, child.name, key),
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
        out[f"{ds.name}.key_bounds"] = (sql_keyrange.key_bounds_sql(ds, stage_name(ds.name)), exp.Select)
        out[f"{ds.name}.stale_delete.keyed"] = (sql_load.stale_delete_sql(ds, key), exp.Delete)
        out[f"{ds.name}.matched_count.keyed"] = (sql_load.matched_count_sql(ds, key), exp.Select)
        out[f"{ds.name}.merge.keyed"] = (sql_load.merge_sql(ds, dialect, key), exp.Merge)
        out[f"{ds.name}.merged_duplicates.keyed"] = (sql_checks.merged_duplicates_sql(ds, key), exp.Select)
        if dialect == "duckdb":  # DuckDB's form of the merge (see replace_sql)
            replace_delete, replace_insert = sql_load.replace_sql(ds, dialect)
            out[f"{ds.name}.replace_delete"] = (replace_delete, exp.Delete)
            out[f"{ds.name}.replace_insert"] = (replace_insert, exp.Insert)
            out[f"{ds.name}.replace_delete.keyed"] = (sql_load.replace_sql(ds, dialect, key)[0], exp.Delete)
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
    summary, days = DAILY_ORDER_SUMMARY, [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 21)]
    scope = sql_derived.parent_scope(summary, days)
    out["derived.create"] = (sql_derived.derived_table_sql(summary, dialect), exp.Create)
    out["derived.pending.create"] = (sql_derived.pending_table_sql(summary, dialect), exp.Create)
    out["derived.capture_replaced"] = (sql_derived.capture_replaced_groups_sql(ORDERS, summary), exp.Insert)
    out["derived.capture_staged"] = (sql_derived.capture_staged_groups_sql(ORDERS, summary, dialect), exp.Insert)
    out["derived.pending"] = (sql_derived.pending_groups_sql(summary), exp.Select)
    out["derived.delete"] = (sql_derived.delete_rows_sql(summary, sql_derived.derived_scope(summary, days)), exp.Delete)
    out["derived.insert"] = (sql_derived.insert_rows_sql(ORDERS, summary, scope), exp.Insert)
    parents_key = sql_keyrange.key_range(ORDERS, "o-0001", "o-0999")
    out["derived.key_bounds"] = (sql_keyrange.key_bounds_sql(ORDERS, "orders", scope), exp.Select)
    out["derived.insert.keyed"] = (sql_derived.insert_rows_sql(ORDERS, summary, scope, parents_key), exp.Insert)
    out["derived.capture_replaced.keyed"] = (
        sql_derived.capture_replaced_groups_sql(ORDERS, summary, parents_key),
        exp.Insert,
    )
    out["derived.insert_all"] = (sql_derived.insert_rows_sql(ORDERS, summary), exp.Insert)
    out["derived.forget"] = (sql_derived.delete_pending_sql(summary, days), exp.Delete)
    out["derived.has_rows"] = (sql_derived.has_rows_sql("orders"), exp.Select)
    out["derived.check"] = (sql_derived.check_sql(summary, days), exp.Select)
    out["derived.check_all"] = (sql_derived.check_sql(summary), exp.Select)
    out["checks.merged_duplicates"] = (sql_checks.merged_duplicates_sql(ORDERS), exp.Select)
    out["checks.all_duplicates"] = (sql_checks.all_duplicates_sql(ORDERS), exp.Select)
    out["temp_tables.3"] = (sql_ddl.own_temp_tables_sql(3, dialect), exp.Select)
    out["load_history.create"] = (sql_history.load_history_view_sql(), exp.Create)
    out["load_history.1"] = (sql_history.history_sql(1), exp.Select)
    out["load_history.35"] = (sql_history.history_sql(35), exp.Select)
    if dialect == "redshift":
        out["load_errors.sys"] = (sql_copy.sys_load_errors_sql(2), exp.Select)
        out["load_errors.stl"] = (sql_copy.stl_load_errors_sql(), exp.Select)
    return out
