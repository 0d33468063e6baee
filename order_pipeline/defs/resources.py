"""The resources every asset and sensor uses: S3, SQS, SNS and the warehouse (DuckDB or Redshift)."""

import dagster as dg

from order_pipeline.components.pipeline import resource_definitions
from order_pipeline.config import load_settings


@dg.definitions
def resources() -> dg.Definitions:
    return resource_definitions(load_settings())
