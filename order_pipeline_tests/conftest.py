"""Shared fixtures: a real local AWS endpoint (moto's server over HTTP) reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import boto3
import pytest

from order_pipeline.commands.moto_server import free_port, start_moto_server

pytest_plugins = ["order_pipeline_tests.support.redshift_fixtures"]

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
    saved = {name: os.environ.get(name) for name in (*LOCAL_AWS_ENV, "AWS_ENDPOINT_URL")}
    os.environ.update(LOCAL_AWS_ENV)
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3_client(aws_endpoint: str):
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def bucket(s3_client) -> str:
    """A fresh, empty bucket per test."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name
