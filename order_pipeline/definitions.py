"""The code location: `dagster dev -w workspace.yaml`, `dg check defs`, `dg list defs` and `dg dev` load `defs`.

It loads the `order_pipeline/defs/` folder the way dg does (each file there a lazy `@dg.definitions` function),
from the package itself rather than from the project's pyproject.toml, so an installed wheel (a container image)
loads exactly what a checkout does. The settings are read when Dagster loads the definitions, never at import.
"""

from pathlib import Path

import dagster as dg

import order_pipeline.defs


@dg.definitions
def defs() -> dg.Definitions:
    return dg.ComponentTree.from_module(
        defs_module=order_pipeline.defs, project_root=Path(__file__).resolve().parent.parent
    ).build_defs()
