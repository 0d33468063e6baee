"""The endpoint's SQL handling on its own: rewrites, rules that must not fire, SUPER navigation, statement shapes."""

from __future__ import annotations

from order_pipeline_tests.redshift_endpoint.redshift_rules import check_statement
from order_pipeline_tests.redshift_endpoint.statement_rewrite import rewrite_statement
from order_pipeline_tests.redshift_endpoint.statement_shapes import shape
from order_pipeline_tests.redshift_endpoint.super_paths import rewrite_paths


def test_varchar_columns_become_byte_checked_domains_and_clauses_go():
    done = rewrite_statement(
        'CREATE TEMP TABLE "Stage" ("Id" VARCHAR(64) NOT NULL ENCODE zstd, note TEXT, '
        "raw VARCHAR(MAX), n CHARACTER VARYING, d DECIMAL(12,2) DEFAULT 'VARCHAR(3)') "
        'DISTKEY ("Id") SORTKEY (d)'
    )
    assert done.sql == (
        'CREATE TEMP TABLE "stage" ("id" redshift_emulator.varchar_64 NOT NULL  , '
        "note redshift_emulator.varchar_256, raw redshift_emulator.varchar_65535, "
        "n redshift_emulator.varchar_256, d DECIMAL(12,2) DEFAULT 'VARCHAR(3)')    "
    )
    assert done.varchar_sizes == {64, 256, 65535} and done.ddl


def test_create_table_as_and_casts_keep_their_types():
    sql = "CREATE TABLE s AS SELECT CAST(x AS VARCHAR(3)) AS x, y::text FROM t"
    assert rewrite_statement(sql).sql == sql and not rewrite_statement(sql).varchar_sizes
    assert rewrite_statement('ALTER TABLE "T" ADD COLUMN "E" VARCHAR(320)').sql == (
        'ALTER TABLE "t" ADD COLUMN "e" redshift_emulator.varchar_320'
    )


def test_rules_do_not_fire_on_literals_aliases_or_the_backends_own_forms():
    for sql in [
        "SELECT 'ON CONFLICT RETURNING string_agg(' AS note",
        'SELECT "x" AS json FROM t',
        'LOCK TABLE "orders", "order_items", "file_ledger"',
        'MERGE INTO "t" USING "s" AS "s" ON "t"."k" = "s"."k" WHEN MATCHED THEN UPDATE SET "v" = "s"."v" '
        'WHEN NOT MATCHED THEN INSERT ("k", "v") VALUES ("s"."k", "s"."v")',
        'ALTER TABLE "t" ADD COLUMN "json" SUPER',
        "SELECT LISTAGG(k, ',') WITHIN GROUP (ORDER BY k) FROM t",
    ]:
        assert check_statement(sql, in_transaction=True) is None, sql


def test_super_navigation_becomes_jsonb_operators_for_super_columns_only():
    def lookup(names: set[str]) -> set[str]:
        return names & {"attributes", "doc"}

    sql = 'SELECT "p"."attributes"."Name", p.attributes.tags[1], doc.a, "p"."profile_id" FROM profiles AS p'
    assert rewrite_paths(sql, lookup) == (
        'SELECT ("p"."attributes" -> \'name\'), (p.attributes -> \'tags\' -> 1), (doc -> \'a\'), "p"."profile_id" '
        "FROM profiles AS p"
    )
    assert rewrite_paths("UPDATE t SET doc = 1", lookup) == "UPDATE t SET doc = 1"


def test_shapes_abstract_names_literals_parameters_and_repeated_items():
    assert shape('INSERT INTO "f" ("a", "b", "c") VALUES ($1, $2, $3), ($4, $5, $6), ($7, $8, $9)') == (
        'INSERT INTO "x" ("x", …) VALUES (?, …), …'
    )
    assert shape('select count(*) from "orders" where "s"."k" = \'x\' limit 10') == (
        'SELECT COUNT(*) FROM "x" WHERE "x" = \'…\' LIMIT N'
    )
    assert shape('CREATE TABLE IF NOT EXISTS "t" ("a" INTEGER, "b" VARCHAR(3)) SORTKEY ("a")') == (
        'CREATE TABLE IF NOT EXISTS "x" (<columns>) SORTKEY ("x")'
    )
