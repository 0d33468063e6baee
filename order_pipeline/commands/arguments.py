"""What several subcommands read from their arguments: the dataset named by `--dataset`."""

from __future__ import annotations

import sys

from order_pipeline.datasets import dataset_named
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.registry import registered_datasets


def dataset_argument(name: str) -> Dataset | None:
    """The declared dataset of that name (in Python or in a defs.yaml), or None after saying which exist."""
    try:
        return dataset_named(name, registered_datasets())
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return None
