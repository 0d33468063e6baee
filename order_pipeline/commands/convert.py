"""`order-pipeline convert`: the same validated conversion the lake assets run, on local files."""

from __future__ import annotations

import argparse
from pathlib import Path

from order_pipeline.commands.arguments import dataset_argument
from order_pipeline.conversion import ConversionResult, convert_file
from order_pipeline.datasets.declaration import Dataset


def convert_paths(dataset: Dataset, sources: list[Path], out_dir: Path) -> list[ConversionResult]:
    """Convert each file into `out_dir/<file name>/<table>.parquet` (+ rejects.jsonl when any)."""
    results = []
    for source in sources:
        results.append(convert_file(dataset, source, out_dir / source.name, source_name=str(source)))
    return results


def run(args: argparse.Namespace) -> int:
    """`order-pipeline convert`: prints each file's outcome; exits 1 when a file was rejected, 2 on bad arguments."""
    dataset = dataset_argument(args.dataset)
    if dataset is None:
        return 2
    failed = 0
    for result in convert_paths(dataset, args.sources, args.out):
        print(
            f"{result.source_name}: {result.status}, rows {result.rows}, rejected {result.rejected_records}"
            + (f" ({result.file_error})" if result.file_error else "")
        )
        failed += result.status == "rejected"
    return 1 if failed else 0
