"""Pure domain: dataset declarations (orders first), no Dagster, no boto3.

`DATASETS` is the registry the definitions, the CLI and the local commands iterate: a new feed is a new
declaration added here, never a copy of code.
"""

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset, DerivedTable, RecordRule
from order_pipeline.datasets.orders import ORDERS

DATASETS: tuple[Dataset, ...] = (ORDERS,)


def dataset_named(name: str, datasets: tuple[Dataset, ...] = DATASETS) -> Dataset:
    for dataset in datasets:
        if dataset.name == name:
            return dataset
    raise KeyError(f"unknown dataset {name!r}; declared: {', '.join(d.name for d in datasets)}")


__all__ = ["DATASETS", "ORDERS", "ChildTable", "Column", "Dataset", "DerivedTable", "RecordRule", "dataset_named"]
