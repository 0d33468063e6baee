"""The code location: `dagster dev -w workspace.yaml`, `dg check defs`, `dg list defs` and `dg dev` load `defs`.

It loads the `order_pipeline/defs/` folder the way dg does (each file there a lazy `@dg.definitions` function),
from the package itself rather than from the project's pyproject.toml, so an installed wheel (a container image)
loads exactly what a checkout does. The settings are read when Dagster loads the definitions, never at import.

Every run worker loads this too, before its first step (issue 24): so it builds the defs folder only, not the
tree's root, which adds a catalogue of every component type the installed libraries register (dagster-aws's
dozen, each one's JSON schema and sample YAML: ~2.5 s of a ~2.9 s load, for the UI's component docs only). The
component tree is still attached to the definitions, as the root would attach it.
"""

from pathlib import Path

import dagster as dg

import order_pipeline.defs


@dg.definitions
def defs() -> dg.Definitions:
    tree = dg.ComponentTree.from_module(
        defs_module=order_pipeline.defs, project_root=Path(__file__).resolve().parent.parent
    )
    folder = tree.build_defs(Path(order_pipeline.defs.__file__).parent)
    return dg.Definitions.merge(folder, dg.Definitions(component_tree=tree))
