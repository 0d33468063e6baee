"""What the code location deploys, one concern per file, each a lazy `@dg.definitions` function that reads the
settings when Dagster loads it. Loaded by `dg.load_from_defs_folder` (see `order_pipeline/definitions.py`),
which imports every module here: nothing with import-time effects belongs in this folder."""
