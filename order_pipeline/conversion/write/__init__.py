"""Writing: the canonical Parquet per table and the rejects report, streamed."""
