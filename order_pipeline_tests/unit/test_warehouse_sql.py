"""Pinned SQL text for ORDERS in both dialects: DDL, COPY, the upsert steps, the ledger."""

from __future__ import annotations

import json

from order_pipeline.datasets.orders import ORDERS
from order_pipeline.warehouse import sql_copy, sql_ddl, sql_load

ORDERS_COLUMNS_REDSHIFT = (
    '"order_id" VARCHAR(64) NOT NULL, "customer_id" VARCHAR(64) NOT NULL, "order_ts" TIMESTAMPTZ NOT NULL, '
    '"status" VARCHAR(16) NOT NULL, "currency" VARCHAR(3) NOT NULL, "payment_method" VARCHAR(32), '
    '"ship_name" VARCHAR(256), "ship_street" VARCHAR(256), "ship_city" VARCHAR(128), '
    '"ship_postal_code" VARCHAR(32), "ship_country" VARCHAR(2), "subtotal" DECIMAL(12,2) NOT NULL, '
    '"shipping" DECIMAL(12,2) NOT NULL, "tax" DECIMAL(12,2) NOT NULL, "total" DECIMAL(12,2) NOT NULL, '
    '"updated_at" TIMESTAMPTZ NOT NULL, "_source_file" VARCHAR(1024) NOT NULL, "_source_record" BIGINT NOT '
    "NULL"
)


def test_redshift_orders_ddl_distributes_on_key_and_sorts_on_event_time():
    assert sql_ddl.dataset_table_sql(ORDERS, "orders", "redshift") == (
        f'CREATE TABLE IF NOT EXISTS "orders" ({ORDERS_COLUMNS_REDSHIFT}) DISTKEY ("order_id") SORTKEY ("order_ts")'
    )


def test_redshift_order_items_ddl_sorts_on_merge_key():
    assert sql_ddl.dataset_table_sql(ORDERS, "order_items", "redshift") == (
        'CREATE TABLE IF NOT EXISTS "order_items" ("order_id" VARCHAR(64) NOT NULL, "line_number" INTEGER '
        "NOT NULL, "
        '"sku" VARCHAR(64) NOT NULL, "quantity" INTEGER NOT NULL, "unit_price" DECIMAL(12,2) NOT NULL, '
        '"_source_file" VARCHAR(1024) NOT NULL, "_source_record" BIGINT NOT NULL) '
        'DISTKEY ("order_id") SORTKEY ("order_id")'
    )


def test_duckdb_orders_ddl_has_no_primary_key_and_no_redshift_clauses():
    assert sql_ddl.dataset_table_sql(ORDERS, "order_items", "duckdb") == (
        'CREATE TABLE IF NOT EXISTS "order_items" ("order_id" VARCHAR NOT NULL, "line_number" INTEGER NOT '
        "NULL, "
        '"sku" VARCHAR NOT NULL, "quantity" INTEGER NOT NULL, "unit_price" DECIMAL(12,2) NOT NULL, '
        '"_source_file" VARCHAR NOT NULL, "_source_record" BIGINT NOT NULL)'
    )
    assert "PRIMARY KEY" not in sql_ddl.dataset_table_sql(ORDERS, "orders", "duckdb")


def test_ledger_ddl():
    assert sql_ddl.ledger_table_sql("redshift") == (
        'CREATE TABLE IF NOT EXISTS "file_ledger" ("dataset" VARCHAR(127) NOT NULL, "bucket" VARCHAR(255) '
        "NOT NULL, "
        '"key" VARCHAR(1024) NOT NULL, "etag" VARCHAR(256) NOT NULL, "size" BIGINT, "last_modified" '
        "TIMESTAMPTZ, "
        '"partition" VARCHAR(64), "rows" BIGINT, "status" VARCHAR(16) NOT NULL, "error" VARCHAR(4096), '
        '"run_id" VARCHAR(256), "loaded_at" TIMESTAMPTZ NOT NULL) SORTKEY ("dataset", "key")'
    )


def test_staging_has_explicit_canonical_column_order_not_like_target():
    assert sql_ddl.staging_table_sql(ORDERS, "order_items", "redshift") == (
        'CREATE TEMP TABLE "stage_order_items" ("order_id" VARCHAR(64), "line_number" INTEGER, "sku" '
        "VARCHAR(64), "
        '"quantity" INTEGER, "unit_price" DECIMAL(12,2), "_source_file" VARCHAR(1024), "_source_record" '
        "BIGINT) "
        'DISTKEY ("order_id")'
    )


def test_add_column_is_nullable():
    column = ORDERS.table_columns()[0]  # declared NOT NULL, still added nullable
    assert sql_ddl.add_column_sql("orders", column, "redshift") == (
        'ALTER TABLE "orders" ADD COLUMN "order_id" VARCHAR(64)'
    )


def test_copy_and_manifest():
    assert sql_copy.copy_sql(
        "stage_orders",
        "s3://lake/_manifests/orders/x/orders.manifest",
        "arn:aws:iam::123456789012:role/Loader",
    ) == (
        "COPY \"stage_orders\" FROM 's3://lake/_manifests/orders/x/orders.manifest' "
        "IAM_ROLE 'arn:aws:iam::123456789012:role/Loader' FORMAT AS PARQUET MANIFEST"
    )
    manifest = json.loads(
        sql_copy.copy_manifest([("s3://b/a.parquet", 10), ("s3://b/a.parquet", 10), ("s3://b/c.parquet", 7)])
    )
    assert manifest == {
        "entries": [
            {"url": "s3://b/a.parquet", "mandatory": True, "meta": {"content_length": 10}},
            {"url": "s3://b/c.parquet", "mandatory": True, "meta": {"content_length": 7}},
        ]
    }


def test_dedup_keeps_latest_version_then_later_file_then_later_record():
    assert sql_load.dedup_losers_sql(ORDERS) == (
        'CREATE TEMP TABLE "stage_orders$dup" AS SELECT "r"."order_id", "r"."_source_file", '
        '"r"."_source_record" '
        'FROM (SELECT "s"."order_id", "s"."_source_file", "s"."_source_record", ROW_NUMBER() OVER '
        '(PARTITION BY "s"."order_id" ORDER BY "s"."updated_at" DESC NULLS LAST, "f"."file_seq" DESC, '
        '"s"."_source_record" DESC) AS "_rank" FROM "stage_orders" AS "s" JOIN "stage$batch_files" AS "f" '
        'ON "f"."uri" = "s"."_source_file") AS "r" WHERE "r"."_rank" > 1'
    )
    assert sql_load.dedup_delete_sql(ORDERS) == (
        'DELETE FROM "stage_orders" USING "stage_orders$dup" WHERE "stage_orders$dup"."order_id" = '
        '"stage_orders"."order_id" AND "stage_orders$dup"."_source_file" = "stage_orders"."_source_file" '
        'AND "stage_orders$dup"."_source_record" = "stage_orders"."_source_record"'
    )


def test_stale_rows_are_deleted_from_staging_only_when_target_is_strictly_newer():
    assert sql_load.stale_delete_sql(ORDERS) == (
        'DELETE FROM "stage_orders" USING "orders" WHERE "orders"."order_id" = "stage_orders"."order_id" '
        'AND "orders"."updated_at" > "stage_orders"."updated_at"'
    )


def test_merge_source_is_a_table_and_matched_clause_has_no_condition():
    names = [c.name for c in ORDERS.table_columns()]
    updates = ", ".join(f'"{n}" = "s"."{n}"' for n in names[1:])
    assert sql_load.merge_sql(ORDERS) == (
        'MERGE INTO "orders" USING "stage_orders" AS "s" ON "orders"."order_id" = "s"."order_id" '
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}) "
        f"VALUES ({', '.join(f'{chr(34)}s{chr(34)}.{chr(34)}{n}{chr(34)}' for n in names)})"
    )
    assert updates.startswith('"customer_id" = "s"."customer_id", "order_ts"')


def test_children_are_replaced_by_exactly_the_winning_version():
    assert sql_load.child_delete_sql(ORDERS, "order_items") == (
        'DELETE FROM "order_items" USING "stage_orders" WHERE "order_items"."order_id" = "stage_orders"."order_id"'
    )
    join = (
        'FROM "stage_order_items" JOIN "stage_orders" ON "stage_order_items"."order_id" = '
        '"stage_orders"."order_id" '
        'AND "stage_order_items"."_source_file" = "stage_orders"."_source_file" '
        'AND "stage_order_items"."_source_record" = "stage_orders"."_source_record"'
    )
    assert sql_load.child_insert_sql(ORDERS, "order_items") == (
        'INSERT INTO "order_items" ("order_id", "line_number", "sku", "quantity", "unit_price", '
        '"_source_file", '
        '"_source_record") SELECT "stage_order_items"."order_id", "stage_order_items"."line_number", '
        '"stage_order_items"."sku", "stage_order_items"."quantity", "stage_order_items"."unit_price", '
        '"stage_order_items"."_source_file", "stage_order_items"."_source_record" ' + join
    )
    assert sql_load.child_count_sql(ORDERS, "order_items") == "SELECT COUNT(*) " + join


def test_ledger_insert_binds_values_and_guards_against_duplicates():
    sql = sql_load.ledger_insert_sql()
    assert sql == (
        'INSERT INTO "file_ledger" ("dataset", "bucket", "key", "etag", "size", "last_modified", '
        '"partition", '
        '"rows", "status", "error", "run_id", "loaded_at") SELECT ?, "f"."bucket", "f"."key", "f"."etag", '
        '"f"."size", "f"."last_modified", ?, "f"."rows", "f"."status", "f"."error", ?, ? '
        'FROM "stage$batch_files" AS "f" WHERE NOT EXISTS (SELECT 1 FROM "file_ledger" AS "l" '
        'WHERE "l"."dataset" = ? AND "l"."key" = "f"."key" AND "l"."etag" = "f"."etag")'
    )
    assert sql.count("?") == 5
