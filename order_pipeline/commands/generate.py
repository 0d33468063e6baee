"""`order-pipeline generate`: deterministic sample orders as JSON Lines files, to a folder or to S3."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from order_pipeline.aws.s3_objects import parse_s3_uri, put_bytes
from order_pipeline.datasets.orders_generator import assign_landing_files, encode_jsonl, generate_orders, landing_key


@dataclass(frozen=True)
class GenerateOptions:
    count: int = 1000
    days: int = 3
    files_per_day: int = 2
    start_date: date | None = None  # default: `days` days before today (UTC), so every file lands by today
    seed: int = 42
    update_share: float = 0.1
    gzip: bool = False
    id_prefix: str = "ORD"

    def first_day(self) -> date:
        return self.start_date or datetime.now(timezone.utc).date() - timedelta(days=self.days)


def generated_files(options: GenerateOptions, prefix: str) -> dict[str, bytes]:
    """Landing key -> file content for the generated orders."""
    orders = generate_orders(
        options.count,
        seed=options.seed,
        start_date=options.first_day(),
        days=options.days,
        update_share=options.update_share,
        id_prefix=options.id_prefix,
    )
    grouped = assign_landing_files(orders, options.files_per_day)
    return {
        landing_key(day, index, prefix=prefix, gzip=options.gzip): encode_jsonl(records, gzip=options.gzip)
        for (day, index), records in grouped.items()
    }


def write_to_folder(options: GenerateOptions, folder: Path) -> list[Path]:
    written = []
    for key, content in generated_files(options, "orders").items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def write_to_s3(options: GenerateOptions, s3_client: Any, destination: str) -> list[str]:
    """Upload to `s3://bucket/prefix/` as `prefix/YYYY/MM/DD/orders-N.jsonl[.gz]`."""
    bucket, prefix = parse_s3_uri(destination)
    return [
        put_bytes(s3_client, bucket, key, content, "application/x-ndjson")
        for key, content in generated_files(options, prefix.rstrip("/") or "landing/orders").items()
    ]


def options_from_args(args: argparse.Namespace) -> GenerateOptions:
    """The generator's options from `generate`'s (and `demo`'s, `run`'s) arguments."""
    return GenerateOptions(
        count=args.count,
        days=args.days,
        files_per_day=args.files,
        seed=args.seed,
        start_date=date.fromisoformat(args.start_date) if args.start_date else None,
        update_share=args.update_share,
        gzip=args.gzip,
    )


def run(args: argparse.Namespace) -> int:
    """`order-pipeline generate`: to a folder (`--out`) or to S3 (`--to`)."""
    options = options_from_args(args)
    if args.out:
        written: list = write_to_folder(options, args.out)
    else:
        import boto3

        written = write_to_s3(options, boto3.client("s3"), args.to)
    print(f"wrote {len(written)} files")
    return 0
