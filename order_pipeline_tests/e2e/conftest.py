"""Fixtures of the end-to-end scenarios: a whole local pipeline (moto over HTTP, a real warehouse, a Dagster
instance), on the embedded default or on each warehouse the run covers (ORDER_PIPELINE_TEST_WAREHOUSES)."""

from __future__ import annotations

import pytest

from order_pipeline_tests.support.redshift_fixtures import redshift_pipeline_env
from order_pipeline_tests.support.warehouses import warehouses_under_test


@pytest.fixture(params=warehouses_under_test())
def warehouse_env(request, bucket) -> dict[str, str]:
    """The same scenarios on the embedded default and on Redshift (the local Redshift-compatible endpoint,
    reached through the real redshift_connector; each test in a schema of its own)."""
    if request.param == "duckdb":
        return {}
    return redshift_pipeline_env(request.getfixturevalue("redshift_endpoint"), bucket.replace("-", "_"))
