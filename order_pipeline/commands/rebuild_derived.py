"""`order-pipeline rebuild-derived [--dataset D] [--table T]`: rebuild derived tables whole, for repair.

Loads keep each derived table equal to a full rebuild by refreshing only the groups they touched; this command
recomputes every row anyway (after a manual fix in the warehouse, or to prove the table right). In place:
DELETE and INSERT in one transaction, so grants on the table and views over it survive. Exit code 0 when every
rebuilt table passes its check, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from order_pipeline.commands.arguments import dataset_argument
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.registry import registered_datasets
from order_pipeline.warehouse.base import DerivedRefresh, Warehouse


def rebuild(db: Warehouse, datasets: Sequence[Dataset], table: str | None = None) -> list[DerivedRefresh]:
    """Rebuild the derived tables of `datasets` (only `table`, when named) whole."""
    done = []
    for dataset in datasets:
        for derived in dataset.derived:
            if table is not None and derived.name != table:
                continue
            db.ensure_tables(dataset)
            done.append(db.refresh_derived(dataset, derived, full=True))
    return done


def run(args: argparse.Namespace) -> int:
    import boto3

    from order_pipeline.components.resources import open_warehouse
    from order_pipeline.config import load_settings

    if args.dataset is None:
        datasets: Sequence[Dataset] = registered_datasets()  # Python and defs.yaml declarations
    else:
        chosen = dataset_argument(args.dataset)
        if chosen is None:
            return 2
        datasets = (chosen,)
    names = {derived.name for dataset in datasets for derived in dataset.derived}
    if args.table is not None and args.table not in names:
        print(f"no derived table {args.table!r}; declared: {', '.join(sorted(names)) or 'none'}", file=sys.stderr)
        return 2
    db = open_warehouse(load_settings(), boto3.client("s3"))
    try:
        done = rebuild(db, datasets, args.table)
    finally:
        db.close()
    failed = 0
    for refresh in done:
        verdict = "no check"
        if refresh.check is not None:
            verdict = "check passed" if refresh.check[0] == refresh.check[1] else f"CHECK FAILED {refresh.check}"
            failed += refresh.check[0] != refresh.check[1]
        print(f"{refresh.table}: rebuilt, {refresh.rows} rows in {refresh.seconds:.2f} s, {verdict}")
    return 1 if failed else 0
