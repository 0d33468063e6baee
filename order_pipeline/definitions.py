"""The code location: `dagster dev -w workspace.yaml`, `dg check defs` and `dg dev` load `defs` from here.

Settings are read when Dagster loads the definitions, never at import time.
"""

import dagster as dg

from order_pipeline.config import load_settings
from order_pipeline.defs.build import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
