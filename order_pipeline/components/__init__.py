"""Shared building blocks of the Dagster layer: resources, asset/sensor factories, keys and policies.

Nothing here is deployed by itself and nothing runs at import: `order_pipeline/defs/` holds what is deployed
(loaded by `dg.load_from_defs_folder`), and tests build the same definitions through `pipeline.build_definitions`.
"""
