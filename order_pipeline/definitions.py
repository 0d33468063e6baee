"""The code location: `dagster dev -w workspace.yaml`, `dg check defs`, `dg list defs` and `dg dev` load `defs`.

It loads `order_pipeline/defs/` the way dg expects (each file there a lazy `@dg.definitions` function); the
settings are read when Dagster loads them, never at import time.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
