"""How much memory the embedded warehouse may hold, and how a load's staging is cut (issue 24: memory that does not
follow partition size). Pure: no duckdb import, so config.py can name the default without loading the engine.

DuckDB keeps what it reads and writes in its buffer pool up to `memory_limit` (by default 80% of the machine's RAM),
so without a limit a run's peak grows with the partition it loads. With a limit, the operators of a load (the staging
INSERTs, the window that de-duplicates, the joins of the MERGE) spill to the database's temp directory
(`<database>.tmp`, DuckDB's default) instead of holding the partition: the load slows down a little, it does not fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

DEFAULT_MEMORY_LIMIT = "256MB"  # ORDER_PIPELINE_DUCKDB_MEMORY_LIMIT; DuckDB's own default is 80% of RAM
STAGE_BYTES = 32 << 20  # Parquet bytes staged by one INSERT at most (a part larger than this is staged alone)


def stage_pieces(paths: Sequence[Path], budget: int = STAGE_BYTES) -> list[list[Path]]:
    """`paths` in order, cut into consecutive groups of at most `budget` bytes on disk (a larger file alone)."""
    pieces: list[list[Path]] = []
    size = 0
    for path in paths:
        part = path.stat().st_size
        if not pieces or size + part > budget:
            pieces.append([])
            size = 0
        pieces[-1].append(path)
        size += part
    return pieces
