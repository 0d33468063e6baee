"""Where files land, which partition they belong to, and what the landing sensors decide. Pure: no boto3, no Dagster.

`keys` holds the layout rules every layer shares; `cursor`, `plan`, `events` and `reconcile` hold the sensors'
decisions, so they can be tested without S3, SQS or a Dagster instance.
"""

from order_pipeline.landing.keys import (
    FileVersion,
    date_in_key,
    date_prefixes,
    days_between,
    is_hidden,
    partition_of,
)

__all__ = ["FileVersion", "date_in_key", "date_prefixes", "days_between", "is_hidden", "partition_of"]
