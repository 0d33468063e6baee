"""The `load_history` view over the file ledger, for both dialects. Pure: builds strings, runs nothing.

One row per landing file version the pipeline handled, whatever its fate — the SQL operators query the way they
query Redshift's SYS_LOAD_HISTORY or Snowflake's COPY_HISTORY:

    SELECT "key", "status", "lag_seconds" FROM "load_history"
    WHERE "dataset" = 'orders' AND "partition" = '2026-11-20' ORDER BY "loaded_at";

`landed_at` is the file version's S3 LastModified, `loaded_at` when its ledger row was written (the load's commit,
or the quarantine / dead-letter verdict), and `lag_seconds` = loaded_at - landed_at in seconds. The lag is
computed from epoch seconds (EXTRACT(EPOCH FROM ...)), which DuckDB, PostgreSQL and Redshift all read the same way.
"""

from __future__ import annotations

from order_pipeline.warehouse.base import LEDGER_TABLE
from order_pipeline.warehouse.sql_names import quote_ident

LOAD_HISTORY_VIEW = "load_history"

# (view column, expression over the ledger): the view's documented columns, in order
LOAD_HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", quote_ident("dataset")),
    ("bucket", quote_ident("bucket")),
    ("key", quote_ident("key")),
    ("etag", quote_ident("etag")),
    ("size", quote_ident("size")),
    ("partition", quote_ident("partition")),
    ("status", quote_ident("status")),
    ("rows", quote_ident("rows")),
    ("error", quote_ident("error")),
    ("landed_at", quote_ident("last_modified")),
    ("loaded_at", quote_ident("loaded_at")),
    (
        "lag_seconds",
        f"CAST(EXTRACT(EPOCH FROM {quote_ident('loaded_at')}) - EXTRACT(EPOCH FROM {quote_ident('last_modified')})"
        " AS DOUBLE PRECISION)",
    ),
    ("run_id", quote_ident("run_id")),
)


def load_history_view_sql() -> str:
    """CREATE OR REPLACE VIEW load_history: the same text on DuckDB and Redshift."""
    select = ", ".join(f"{expression} AS {quote_ident(name)}" for name, expression in LOAD_HISTORY_COLUMNS)
    return (
        f"CREATE OR REPLACE VIEW {quote_ident(LOAD_HISTORY_VIEW)} AS SELECT {select} FROM {quote_ident(LEDGER_TABLE)}"
    )


def history_sql(dates: int) -> str:
    """(partition, key, etag, status, rows, landed_at, loaded_at, lag_seconds, error, run_id) of a dataset's load
    history in `dates` landing dates. Parameters: dataset, then the dates."""
    if dates < 1:
        raise ValueError("at least one date")
    names = ("partition", "key", "etag", "status", "rows", "landed_at", "loaded_at", "lag_seconds", "error", "run_id")
    placeholders = ", ".join("?" for _ in range(dates))
    return (
        f"SELECT {', '.join(quote_ident(n) for n in names)} FROM {quote_ident(LOAD_HISTORY_VIEW)} "
        f"WHERE {quote_ident('dataset')} = ? AND {quote_ident('partition')} IN ({placeholders})"
    )
