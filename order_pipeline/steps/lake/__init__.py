"""The lake step without Dagster: one date's landing files -> canonical Parquet, quarantine, crash guard."""
