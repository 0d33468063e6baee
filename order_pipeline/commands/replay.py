"""`order-pipeline replay`: re-drive a fixed quarantined or dead-lettered file through the normal path.

The file (or, for a `.rejects.jsonl`, the raw records it holds) is landed again under
`<landing>/<dataset>/dt=<partition>/replay-<name>`: the sensor and the ledger then treat it like any new
file. The replay key is derived from the quarantined object, so replaying the same content again lands the
same object with the same ETag, which the ledger has already loaded: a replay happens exactly once.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from order_pipeline.aws.s3_objects import parse_s3_uri, put_bytes
from order_pipeline.commands.arguments import dataset_argument
from order_pipeline.commands.replay_csv import csv_from_rejects, rejects_source_kind
from order_pipeline.config import load_settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import date_in_key
from order_pipeline.layout import LakeLayout

_PARTITION = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")
REJECTS_SUFFIX = ".rejects.jsonl"


class ReplayError(ValueError):
    """The object cannot be replayed (named, with why)."""


def records_from_rejects(content: bytes, source: str) -> bytes:
    """The raw records of a rejects file, one JSON object per line (entries whose raw was not JSON are kept as
    they were, so a fixed line is replayed as fixed)."""
    lines = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise ReplayError(f"{source} line {number} is not a reject entry: {error}") from error
        raw = entry.get("raw") if isinstance(entry, dict) else None
        if raw is None:
            raise ReplayError(f"{source} line {number} has no 'raw' record to replay")
        lines.append(json.dumps(raw, separators=(",", ":")) if not isinstance(raw, str) else raw)
    return ("\n".join(lines) + "\n").encode() if lines else b""


def replay_key(layout: LakeLayout, dataset: Dataset, uri: str) -> tuple[str, str]:
    """(landing key, partition) for replaying the quarantined or landing object at `uri`."""
    _, key = parse_s3_uri(uri)
    match = _PARTITION.search("/" + key)
    name = key.rsplit("/", 1)[-1]
    csv_kind = rejects_source_kind(name)
    if csv_kind is not None:  # the rejects of a CSV file are replayed as CSV
        name = name[: -len(REJECTS_SUFFIX)] + f".{csv_kind}"
    elif name.endswith(REJECTS_SUFFIX):
        name = name[: -len(REJECTS_SUFFIX)] + ".jsonl"
    if match is None:
        day = date_in_key(key)
        if day is None:
            raise ReplayError(f"{uri}: cannot tell its partition (no dt=YYYY-MM-DD or YYYY/MM/DD in the key)")
        partition = day.isoformat()
    else:
        partition = match[1]
    return layout.replay_key(dataset.name, partition, name), partition


def replay(s3: Any, layout: LakeLayout, dataset: Dataset, uri: str, fixed_file: Path | None = None) -> str:
    """Land the (fixed) content of `uri` again for loading; returns the s3:// URI it landed at."""
    bucket, key = parse_s3_uri(uri)
    if fixed_file is not None:
        content = fixed_file.read_bytes()
    else:
        try:
            content = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey as error:
            raise ReplayError(f"{uri} does not exist") from error
    csv_kind = rejects_source_kind(key.rsplit("/", 1)[-1])
    if csv_kind is not None:
        try:
            content = csv_from_rejects(content, uri, csv_kind, dataset)
        except ValueError as error:
            raise ReplayError(str(error)) from error
    elif key.endswith(REJECTS_SUFFIX):
        content = records_from_rejects(content, uri)
    if not content.strip():
        raise ReplayError(f"{uri} holds nothing to replay")
    landing_key, _ = replay_key(layout, dataset, uri)
    return put_bytes(s3, layout.bucket, landing_key, content)


def run(args: argparse.Namespace) -> int:
    """`order-pipeline replay URI... [--fixed FILE]`: each URI landed again for the sensor to load."""
    import boto3

    dataset = dataset_argument(args.dataset)
    if dataset is None:
        return 2
    if args.fixed and len(args.uris) != 1:
        print("--fixed goes with exactly one URI", file=sys.stderr)
        return 2
    settings, client = load_settings(), boto3.client("s3")
    for uri in args.uris:
        try:
            print(f"{uri} -> {replay(client, settings.layout, dataset, uri, args.fixed)} (the sensor loads it)")
        except ReplayError as error:
            print(f"cannot replay: {error}", file=sys.stderr)
            return 1
    return 0
