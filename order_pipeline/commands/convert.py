"""`order-pipeline convert`: the same validated conversion the lake assets run, on local files."""

from __future__ import annotations

from pathlib import Path

from order_pipeline.conversion import ConversionResult, convert_file
from order_pipeline.datasets.declaration import Dataset


def convert_paths(dataset: Dataset, sources: list[Path], out_dir: Path) -> list[ConversionResult]:
    """Convert each file into `out_dir/<file name>/<table>.parquet` (+ rejects.jsonl when any)."""
    results = []
    for source in sources:
        results.append(convert_file(dataset, source, out_dir / source.name, source_name=str(source)))
    return results
