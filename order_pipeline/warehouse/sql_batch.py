"""A load batch as bound parameters for the SQL of sql_load. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from order_pipeline.datasets.declaration import LINEAGE_COLUMNS, SOURCE_FILE_COLUMN
from order_pipeline.warehouse.base import LoadBatch
from order_pipeline.warehouse.sql_ddl import LEDGER_ERROR_BYTES

SOURCE_FILE_BYTES = next(c.max_bytes or 0 for c in LINEAGE_COLUMNS if c.name == SOURCE_FILE_COLUMN)


def truncate_bytes(text: str | None, limit: int = LEDGER_ERROR_BYTES) -> str | None:
    """Cut `text` to at most `limit` UTF-8 bytes without splitting a character (VARCHAR counts bytes)."""
    if text is None:
        return None
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", errors="ignore") + "..."


def check_batch(batch: LoadBatch) -> None:
    """Refuse batches the SQL cannot order: `_source_file` is the URI without the ETag, so two versions
    of one key in a batch would be indistinguishable in staging. Refuse, with the reason, a loaded file whose
    URI is longer than `_source_file` holds in bytes: its rows could not be staged (COPY would fail on it)."""
    if not batch.files:
        raise ValueError("a load batch needs at least one file")
    seen: set[str] = set()
    for item in batch.files:
        uri = item.source.uri
        if uri in seen:
            raise ValueError(f"batch holds {uri} twice; load its versions in separate batches")
        seen.add(uri)
        size = len(uri.encode("utf-8"))
        if item.status == "loaded" and size > SOURCE_FILE_BYTES:
            raise ValueError(
                f"{uri[:120]}...: the file's URI is {size} bytes, but {SOURCE_FILE_COLUMN} holds at "
                f"most {SOURCE_FILE_BYTES} bytes; shorten the landing key to load this file"
            )
        if item.status == "loaded":
            unknown = set(item.parts) - set(batch.dataset.table_names)
            if unknown:
                raise ValueError(f"{uri}: parts for tables the dataset does not declare: {sorted(unknown)}")


def files_stage_rows(batch: LoadBatch) -> list[tuple[Any, ...]]:
    """One row per batch file in FILES_STAGE_COLUMNS order; file_seq is the position in the batch."""
    rows = []
    for seq, item in enumerate(batch.files):
        source = item.source
        rows.append(
            (
                seq,
                source.uri,
                source.bucket,
                source.key,
                source.etag,
                source.size,
                source.last_modified,
                item.rows.get(batch.dataset.name),
                item.status,
                truncate_bytes(item.error),
            )
        )
    return rows


def flat(rows: Sequence[Sequence[Any]]) -> list[Any]:
    return [value for row in rows for value in row]


def ledger_params(batch: LoadBatch, loaded_at: datetime) -> list[Any]:
    """Parameters of sql_load.ledger_insert_sql, in order."""
    name = batch.dataset.name
    return [name, batch.partition, batch.run_id, loaded_at, name]


def part_uris(batch: LoadBatch, table: str) -> list[str]:
    """The Parquet parts of `table` over the batch's loaded files, in file order."""
    return [item.parts[table] for item in batch.files if item.status == "loaded" and table in item.parts]
