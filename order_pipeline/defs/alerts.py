"""Failure alerts: every failed run publishes a run_failed notification."""

import dagster as dg

from order_pipeline.components.pipeline import alert_definitions
from order_pipeline.config import load_settings


@dg.definitions
def alerts() -> dg.Definitions:
    return alert_definitions(load_settings())
