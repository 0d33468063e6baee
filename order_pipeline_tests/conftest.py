"""The suite's tiers and shared fixtures.

Tiers follow from the folder a test lives in (markers `unit`, `integration`, `wiring`, `e2e`, `system`, `emulator`; the
Makefile's targets select by them); which warehouses a run covers comes from ORDER_PIPELINE_TEST_WAREHOUSES
(support/warehouses.py). Shared fixtures: a real local AWS endpoint (moto's server over HTTP) reached through
AWS_ENDPOINT_URL, and (support/redshift_fixtures.py) the local Redshift-compatible endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from order_pipeline.commands.moto_server import free_port, start_moto_server
from order_pipeline_tests.support.env import patched_environ
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.warehouses import warehouses_under_test

pytest_plugins = ["order_pipeline_tests.support.redshift_fixtures"]

TIERS = {
    "unit": "unit",
    "integration": "integration",
    "wiring": "wiring",
    "e2e": "e2e",
    "system": "system",
    "redshift_endpoint": "emulator",
}
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier; leave out tests of a warehouse the run does not cover (system tests
    use the Redshift endpoint's PostgreSQL for their Dagster instance, whatever the warehouses)."""
    covered = warehouses_under_test()
    kept, left_out = [], []
    for item in items:
        folder = Path(item.fspath).relative_to(HERE).parts[0]
        tier = TIERS.get(folder)
        if tier is not None:
            item.add_marker(tier)
        needs_redshift = "redshift_endpoint" in getattr(item, "fixturenames", ())
        (left_out if needs_redshift and "redshift" not in covered and tier != "system" else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def aws_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server on loopback for the whole session; boto3 reaches it through AWS_ENDPOINT_URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = start_moto_server("127.0.0.1", port, log_path=log)
    url = f"http://127.0.0.1:{port}"
    try:
        with patched_environ({**LOCAL_AWS_ENV, "AWS_ENDPOINT_URL": url}):
            yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_client(aws_endpoint: str):
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def bucket(s3_client) -> str:
    """A fresh, empty bucket per test."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path):
    """The whole pipeline on the embedded default (DuckDB): wiring tests drive its single objects, e2e its runs."""
    with local_pipeline(aws_endpoint, bucket, tmp_path) as running:
        yield running
