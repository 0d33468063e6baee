"""`order-pipeline status [--dataset D] [--since DATE] [--json]`: per landing date, files landed, loaded,
quarantined, dead-lettered and not loaded (named, with their age), rows loaded and the lag landed -> loaded.

Reads S3 and the warehouse as the reconcile does, locally or on AWS alike (the same settings). Exit codes, for cron
or CI: 0 when every file older than the reconcile's minimum age is in the ledger, 1 when one is not, 2 when the
status could not be read (the error is printed).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta, timezone

import boto3

from order_pipeline.commands.arguments import dataset_argument
from order_pipeline.components.landing_sensors import landing_source
from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import Settings, load_settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.registry import registered_datasets
from order_pipeline.steps.load_status import DatasetStatus, load_status


def read_status(
    settings: Settings, datasets: tuple[Dataset, ...], since: date | None, now: datetime
) -> list[DatasetStatus]:
    """Each dataset's status from `since` (default: the reconcile's depth, ORDER_PIPELINE_RECONCILE_DAYS)."""
    first = since or (now.date() - timedelta(days=settings.reconcile_days))
    s3 = boto3.client("s3", region_name=settings.region)
    db = open_warehouse(settings, s3)
    try:
        return [
            load_status(
                s3,
                db,
                landing_source(settings, dataset),
                dataset,
                now,
                since=first,
                min_age_seconds=settings.reconcile_min_age_seconds,
            )
            for dataset in datasets
        ]
    finally:
        db.close()


def run(args: argparse.Namespace) -> int:
    if args.dataset:
        dataset = dataset_argument(args.dataset)
        if dataset is None:
            return 2
        datasets: tuple[Dataset, ...] = (dataset,)
    else:
        datasets = registered_datasets()  # Python and defs.yaml declarations
    now = datetime.now(timezone.utc)
    try:
        statuses = read_status(load_settings(), datasets, args.since, now)
    except Exception as error:  # noqa: BLE001 - a status that cannot be read must say why and fail
        print(
            f"status: cannot read the landing bucket or the warehouse: {type(error).__name__}: {error}", file=sys.stderr
        )
        return 2
    overdue = sum(len(s.overdue) for s in statuses)
    if args.json:
        print(
            json.dumps(
                {
                    "at": now.isoformat(),
                    "ok": overdue == 0,
                    "overdue": overdue,
                    "datasets": [s.as_dict() for s in statuses],
                },
                indent=2,
            )
        )
    else:
        for status in statuses:
            print(status)
        print("every landed file is accounted for" if overdue == 0 else f"{overdue} landed file(s) NOT LOADED")
    return 0 if overdue == 0 else 1
