"""`order-pipeline convert`: the same validated conversion the lake assets run, on local files.

Each input file gets a folder of its own under `--out`, named by the file's name and a digest of its absolute path
(`orders.jsonl-1a2b3c4d/`), so two inputs of one name never share one. Inputs are checked before anything is
written: only regular files, and only into output folders that do not hold files yet (nothing is removed or
overwritten that this call did not write).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from order_pipeline.commands.arguments import dataset_argument
from order_pipeline.config import load_settings
from order_pipeline.conversion import ConversionResult, convert_file
from order_pipeline.conversion.limits import DEFAULT_LIMITS, ConversionLimits
from order_pipeline.datasets.declaration import Dataset


def output_folder(out_dir: Path, source: Path) -> Path:
    """Where one input's outputs go: `out_dir/<file name>-<8 hex digits of its absolute path>`."""
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:8]
    return out_dir / f"{source.name}-{digest}"


def plan_outputs(sources: list[Path], out_dir: Path) -> tuple[dict[Path, Path], list[str]]:
    """Each distinct input file with its output folder, and what refuses the call (empty when nothing does)."""
    planned: dict[Path, Path] = {}
    problems: list[str] = []
    if out_dir.exists() and not out_dir.is_dir():
        problems.append(f"--out {out_dir} is not a folder")
    seen: set[Path] = set()
    for source in sources:
        if not source.is_file():
            what = "a folder" if source.is_dir() else "missing" if not source.exists() else "not a regular file"
            problems.append(f"{source}: {what}; convert takes regular files")
            continue
        if source.resolve() in seen:  # the same file named twice is converted once
            continue
        seen.add(source.resolve())
        folder = output_folder(out_dir, source)
        if folder.exists() and any(folder.iterdir()):
            problems.append(f"{folder} already holds files (an earlier convert?): remove it or choose another --out")
        planned[source] = folder
    return planned, problems


def convert_paths(
    dataset: Dataset, planned: dict[Path, Path], limits: ConversionLimits = DEFAULT_LIMITS
) -> list[ConversionResult]:
    """Convert each file into its folder: `<table>.parquet` per table (+ rejects.jsonl when any)."""
    return [
        convert_file(dataset, source, folder, source_name=str(source), limits=limits)
        for source, folder in planned.items()
    ]


def run(args: argparse.Namespace) -> int:
    """`order-pipeline convert`: prints each file's outcome; exits 1 when a file was rejected, 2 on bad arguments
    (a folder or missing file given as input, an output folder already holding files)."""
    dataset = dataset_argument(args.dataset)
    if dataset is None:
        return 2
    planned, problems = plan_outputs(args.sources, args.out)
    if problems:
        for problem in problems:
            print(f"convert: {problem}", file=sys.stderr)
        print("convert: nothing converted", file=sys.stderr)
        return 2
    failed = 0
    limits = load_settings().conversion_limits  # ORDER_PIPELINE_MAX_* (README, Conversion limits)
    for result, folder in zip(convert_paths(dataset, planned, limits), planned.values(), strict=True):
        print(
            f"{result.source_name}: {result.status}, rows {result.rows}, rejected {result.rejected_records}"
            + (f" ({result.file_error})" if result.file_error else "")
            + f" -> {folder}"
        )
        failed += result.status == "rejected"
    return 1 if failed else 0
