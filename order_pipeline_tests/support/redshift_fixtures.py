"""Pytest fixtures for the local Redshift-compatible endpoint.

Load with `pytest_plugins = ["order_pipeline_tests.support.redshift_fixtures"]` in a conftest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import redshift_connector

from order_pipeline_tests.support.redshift_endpoint import RedshiftEndpoint, start_endpoint


@pytest.fixture(scope="session")
def redshift_endpoint(aws_endpoint: str) -> Iterator[RedshiftEndpoint]:
    """PostgreSQL + the Redshift wire adapter on loopback for the session; COPY reads the moto S3 endpoint."""
    endpoint = start_endpoint()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture
def redshift_connect(redshift_endpoint: RedshiftEndpoint) -> Callable[[], redshift_connector.Connection]:
    """A connection factory into a fresh schema per test (the endpoint's database is shared by the session)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = redshift_endpoint.connect()
    admin.cursor().execute(f'CREATE SCHEMA "{schema}"')
    admin.commit()
    admin.close()

    def open_connection() -> redshift_connector.Connection:
        conn = redshift_endpoint.connect()
        conn.cursor().execute(f'SET search_path TO "{schema}"')
        conn.commit()
        return conn

    return open_connection
