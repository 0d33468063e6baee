"""Every declared dataset (`order_pipeline.datasets.DATASETS`): its assets, partition job, sensors."""

import dagster as dg

from order_pipeline.components.pipeline import dataset_definitions
from order_pipeline.config import load_settings
from order_pipeline.datasets import DATASETS


@dg.definitions
def datasets() -> dg.Definitions:
    settings = load_settings()
    return dg.Definitions.merge(*(dataset_definitions(dataset, settings) for dataset in DATASETS))
