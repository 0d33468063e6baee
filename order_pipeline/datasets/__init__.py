"""Pure domain: dataset declarations (orders first), no Dagster, no boto3."""

from order_pipeline.datasets.declaration import ChildTable, Column, Dataset, RecordRule
from order_pipeline.datasets.orders import ORDERS

__all__ = ["ORDERS", "ChildTable", "Column", "Dataset", "RecordRule"]
