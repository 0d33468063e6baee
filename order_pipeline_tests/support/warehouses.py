"""Which warehouses a test run covers: ORDER_PIPELINE_TEST_WAREHOUSES, a comma-separated list of `duckdb` and
`redshift` (default both). `make test-fast` runs DuckDB alone; CI runs both."""

from __future__ import annotations

import os

KNOWN = ("duckdb", "redshift")
VARIABLE = "ORDER_PIPELINE_TEST_WAREHOUSES"


def warehouses_under_test() -> list[str]:
    chosen = [name.strip() for name in os.environ.get(VARIABLE, ",".join(KNOWN)).split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(KNOWN))
    if unknown or not chosen:
        raise ValueError(f"{VARIABLE}={os.environ.get(VARIABLE)!r}: choose among {', '.join(KNOWN)}")
    return chosen
