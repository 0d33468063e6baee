"""Pytest fixtures for the local Redshift-compatible endpoint.

Load with `pytest_plugins = ["order_pipeline_tests.support.redshift_fixtures"]` in a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from order_pipeline_tests.support.redshift_endpoint import RedshiftEndpoint, start_endpoint


@pytest.fixture(scope="session")
def redshift_endpoint(aws_endpoint: str) -> Iterator[RedshiftEndpoint]:
    """PostgreSQL + the Redshift wire adapter on loopback for the session; COPY reads the moto S3 endpoint."""
    endpoint = start_endpoint()
    try:
        yield endpoint
    finally:
        endpoint.stop()
