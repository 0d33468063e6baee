"""Identifiers are validated and always quoted; literals that cannot be bound are quoted safely."""

from __future__ import annotations

import pytest

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.warehouse import sql_copy, sql_ddl, sql_load
from order_pipeline.warehouse.sql_names import (
    InvalidIdentifierError,
    quote_ident,
    quote_literal,
    validate_iam_role,
)
from order_pipeline_tests.support.sql_corpus import RESERVED


def test_reserved_words_are_quoted_everywhere():
    assert sql_ddl.dataset_table_sql(RESERVED, "group", "redshift") == (
        'CREATE TABLE IF NOT EXISTS "group" ("order" VARCHAR(16) NOT NULL, "select" BIGINT NOT NULL, '
        '"from" TIMESTAMPTZ NOT NULL, "user" SUPER, "_source_file" VARCHAR(1024) NOT NULL, '
        '"_source_record" BIGINT NOT NULL) DISTKEY ("order") SORTKEY ("from")'
    )
    assert sql_load.stale_delete_sql(RESERVED) == (
        'DELETE FROM "stage_group" USING "group" WHERE "group"."order" = "stage_group"."order" '
        'AND "group"."select" > "stage_group"."select"'
    )
    assert sql_load.merge_sql(RESERVED).startswith(
        'MERGE INTO "group" USING "stage_group" AS "s" ON "group"."order" = "s"."order" '
        'WHEN MATCHED THEN UPDATE SET "select" = "s"."select", "from" = "s"."from", "user" = "s"."user"'
    )


def test_identifier_limit_is_127_bytes():
    assert quote_ident("a" * 127) == '"' + "a" * 127 + '"'
    with pytest.raises(InvalidIdentifierError, match="128 bytes"):
        quote_ident("a" * 128)
    # bytes, not characters: 64 two-byte characters are 128 bytes
    with pytest.raises(InvalidIdentifierError, match="128 bytes"):
        quote_ident("é" * 64)
    too_long = Dataset(
        name="t",
        merge_key=("k",),
        version_column="k",
        event_time_column="k",
        columns=(Column("k", "int64"), Column("c" * 128, "int64")),
    )
    with pytest.raises(InvalidIdentifierError):
        sql_ddl.dataset_table_sql(too_long, "t", "duckdb")


@pytest.mark.parametrize("name", ["", "a\x00b", 'a"b', "line\nbreak", "Mixed", " padded"])
def test_unsafe_identifiers_are_refused(name):
    with pytest.raises(InvalidIdentifierError):
        quote_ident(name)


def test_staging_name_inherits_the_limit():
    long_table = "t" * 124  # "stage_" makes it 130 bytes
    ds = Dataset(
        name=long_table,
        merge_key=("k",),
        version_column="k",
        event_time_column="k",
        columns=(Column("k", "int64"),),
    )
    with pytest.raises(InvalidIdentifierError):
        sql_ddl.staging_table_sql(ds, long_table, "redshift")


def test_copy_literals_are_quoted_and_unsafe_ones_refused():
    assert quote_literal("s3://b/it's.manifest") == "'s3://b/it''s.manifest'"
    with pytest.raises(ValueError):
        quote_literal("s3://b/a\\b")
    with pytest.raises(ValueError):
        sql_copy.copy_sql("stage_orders", "s3://b/m", "arn:aws:iam::123:role/x' OR '1")
    assert validate_iam_role("arn:aws:iam::123456789012:role/a,arn:aws:iam::210987654321:role/b")
    assert sql_copy.copy_sql("stage_orders", "s3://b/m", "default").endswith(
        "IAM_ROLE default FORMAT AS PARQUET MANIFEST"
    )
