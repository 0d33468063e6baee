"""Pytest fixtures for the local Redshift-compatible endpoint.

Load with `pytest_plugins = ["order_pipeline_tests.support.redshift_fixtures"]` in a conftest.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redshift_connector

from order_pipeline_tests.redshift_endpoint import RedshiftEndpoint, start_endpoint

SNAPSHOT_DATABASE = "snapshot_dev"
SERVERLESS_DATABASE = "serverless_dev"
Connect = Callable[[], redshift_connector.Connection]


@pytest.fixture(scope="session")
def redshift_endpoint(aws_endpoint: str) -> Iterator[RedshiftEndpoint]:
    """PostgreSQL + the Redshift wire adapter on loopback for the session; COPY reads the moto S3 endpoint.
    Its database `dev` runs SERIALIZABLE (Redshift's provisioned default before 2024)."""
    endpoint = start_endpoint()
    try:
        yield endpoint
    finally:
        endpoint.stop()


def schema_connect(endpoint: RedshiftEndpoint, database: str) -> Connect:
    """A connection factory into a fresh schema of `database` (databases are shared by the session)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = endpoint.connect(database=database)
    admin.cursor().execute(f'CREATE SCHEMA "{schema}"')
    admin.commit()
    admin.close()

    def open_connection() -> redshift_connector.Connection:
        conn = endpoint.connect(database=database)
        conn.cursor().execute(f'SET search_path TO "{schema}"')
        conn.commit()
        return conn

    return open_connection


@pytest.fixture
def redshift_connect(redshift_endpoint: RedshiftEndpoint) -> Connect:
    """Connections into a fresh schema of the SERIALIZABLE database."""
    return schema_connect(redshift_endpoint, redshift_endpoint.database)


@pytest.fixture(scope="session")
def redshift_snapshot_database(redshift_endpoint: RedshiftEndpoint) -> str:
    """A database under SNAPSHOT isolation, the default of new clusters (since 2024) and of Serverless."""
    redshift_endpoint.create_database(SNAPSHOT_DATABASE, isolation="snapshot")
    return SNAPSHOT_DATABASE


@pytest.fixture
def redshift_snapshot_connect(redshift_endpoint: RedshiftEndpoint, redshift_snapshot_database: str) -> Connect:
    """Connections into a fresh schema of the SNAPSHOT-isolation database."""
    return schema_connect(redshift_endpoint, redshift_snapshot_database)


@pytest.fixture(scope="session")
def redshift_serverless_database(redshift_endpoint: RedshiftEndpoint) -> str:
    """A database behaving as Redshift Serverless's: SNAPSHOT isolation, no STL tables, SYS query ids of its own."""
    redshift_endpoint.create_database(SERVERLESS_DATABASE, isolation="snapshot", serverless=True)
    return SERVERLESS_DATABASE


@pytest.fixture
def redshift_serverless_connect(redshift_endpoint: RedshiftEndpoint, redshift_serverless_database: str) -> Connect:
    """Connections into a fresh schema of the Serverless-like database."""
    return schema_connect(redshift_endpoint, redshift_serverless_database)


def wait_for_lock_waiters(endpoint: RedshiftEndpoint, database: str, count: int = 1, timeout: float = 30.0) -> None:
    """Block until `count` sessions of `database` wait for a lock (the test's way to order two sessions)."""
    deadline = time.monotonic() + timeout
    with endpoint.postgres.connect(database) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (database,)
            ).fetchone()
            if row and row[0] >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {count} session(s) waiting for a lock in {database} after {timeout} s")
            time.sleep(0.02)


def redshift_pipeline_env(endpoint: RedshiftEndpoint, schema: str) -> dict[str, str]:
    """The ORDER_PIPELINE_* variables that point a pipeline at the endpoint, in a schema of its own."""
    return {
        "ORDER_PIPELINE_WAREHOUSE": "redshift",
        "ORDER_PIPELINE_REDSHIFT_HOST": endpoint.host,
        "ORDER_PIPELINE_REDSHIFT_PORT": str(endpoint.port),
        "ORDER_PIPELINE_REDSHIFT_DATABASE": endpoint.database,
        "ORDER_PIPELINE_REDSHIFT_USER": endpoint.user,
        "ORDER_PIPELINE_REDSHIFT_PASSWORD": endpoint.password,
        "ORDER_PIPELINE_REDSHIFT_SSL": "false",
        "ORDER_PIPELINE_REDSHIFT_SCHEMA": schema,
        "ORDER_PIPELINE_REDSHIFT_COPY_IAM_ROLE": "arn:aws:iam::123456789012:role/local-copy",
    }
