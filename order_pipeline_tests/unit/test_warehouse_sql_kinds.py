"""The load SQL of a dataset without a version column, and of kinds the warehouse stages in another type."""

from __future__ import annotations

from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.warehouse import sql_load
from order_pipeline.warehouse.sql_ddl import dataset_table_sql, staging_table_sql

UNVERSIONED = Dataset(
    name="shifts",
    merge_key=("shift_id",),
    event_time_column="day",
    columns=(
        Column("shift_id", "int64", nullable=False),
        Column("day", "date", nullable=False),
        Column("starts", "time"),
        Column("hours", "float32"),
    ),
)


def test_without_a_version_column_the_landing_time_orders_versions():
    dedup = sql_load.dedup_losers_sql(UNVERSIONED)
    assert 'ORDER BY "s"."_source_landed_at" DESC NULLS LAST, "f"."file_seq" DESC, "s"."_source_record" DESC' in dedup
    stale = sql_load.stale_delete_sql(UNVERSIONED)
    assert stale.endswith('"shifts"."_source_landed_at" > "stage_shifts"."_source_landed_at"')
    assert '"_source_landed_at" TIMESTAMPTZ NOT NULL' in dataset_table_sql(UNVERSIONED, "shifts", "redshift")


def test_time_is_staged_as_text_on_redshift_and_cast_when_merged():
    staging = staging_table_sql(UNVERSIONED, "shifts", "redshift")
    assert '"starts" VARCHAR(15)' in staging and '"hours" REAL' in staging and '"day" DATE' in staging
    target = dataset_table_sql(UNVERSIONED, "shifts", "redshift")
    assert '"starts" TIME' in target
    merge = sql_load.merge_sql(UNVERSIONED, "redshift")
    assert '"starts" = CAST("s"."starts" AS TIME),' in merge and '"s"."day", CAST("s"."starts" AS TIME), ' in merge
    assert "CAST" not in sql_load.merge_sql(UNVERSIONED, "duckdb")
    assert '"starts" TIME' in staging_table_sql(UNVERSIONED, "shifts", "duckdb")
