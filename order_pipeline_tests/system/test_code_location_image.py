"""deploy/Dockerfile's command serves the pipeline's definitions. No image is built (the machine has no Docker
engine): its CMD is run here as the container would run it, in the image's environment, and the webserver's
and daemon's way of loading a code location (a workspace naming the gRPC server) loads the definitions."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from order_pipeline.commands.dagster_processes import stop_process
from order_pipeline.commands.moto_server import free_port
from order_pipeline_tests.support.dagster_deployment import wait_until

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
BIN = Path(sys.executable).parent
QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
    location { name } jobs { name } sensors { name } assetNodes { assetKey { path } } } } } }"""


def instruction(name: str) -> list[str]:
    """The arguments of every NAME instruction of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(f"{name} ")]


def image_environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in instruction("ENV"):
        env.update(pair.split("=", 1) for pair in line.split())
    return env


@pytest.fixture
def code_server(tmp_path):
    """The container's command, with its port and host made local, in the image's environment."""
    (command,) = [json.loads(line) for line in instruction("CMD")]
    port = free_port()
    argv = [str(BIN / command[0]), *command[1:]]
    argv[argv.index("-p") + 1] = str(port)
    argv[argv.index("-h") + 1] = "127.0.0.1"
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")  # the image's COPY
    env = {"PATH": f"{BIN}:/usr/bin:/bin", **image_environment(), "DAGSTER_HOME": str(home)}
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=open(tmp_path / "code-server.log", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def answers() -> bool:
            assert process.poll() is None, (tmp_path / "code-server.log").read_text()[-3000:]
            return (
                subprocess.run(
                    [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port)], capture_output=True, timeout=60
                ).returncode
                == 0
            )

        wait_until(answers, 180, "the code server answers")
        workspace = tmp_path / "workspace.yaml"
        workspace.write_text(
            yaml.safe_dump(
                {"load_from": [{"grpc_server": {"host": "127.0.0.1", "port": port, "location_name": "order_pipeline"}}]}
            )
        )
        yield workspace, env
    finally:
        stop_process(process, timeout=20)


def test_the_image_installs_the_package_with_its_deployment_libraries():
    assert any(re.fullmatch(r'pip install "\.\[k8s\]"', line) for line in instruction("RUN"))
    assert instruction("FROM") == ["python:3.11-slim"]
    assert instruction("CMD") and not instruction("ENTRYPOINT")  # the run launchers replace the command


def test_the_dockerfiles_command_serves_the_definitions(code_server, tmp_path_factory):
    workspace, _ = code_server
    client_home = tmp_path_factory.mktemp("client-home")  # the client's own instance, on SQLite
    client_env = {**os.environ, "DAGSTER_HOME": str(client_home)}
    queried = subprocess.run(
        [str(BIN / "dagster-graphql"), "-w", str(workspace), "-t", QUERY],
        capture_output=True,
        text=True,
        env=client_env,
        timeout=300,
    )
    assert queried.returncode == 0, queried.stderr
    result = json.loads(queried.stdout)
    assert "errors" not in result, result
    (repository,) = result["data"]["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "order_pipeline"
    assert {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]} == {
        "raw/orders_json",
        "lake/orders_parquet",
        "lake/order_items_parquet",
        "warehouse/orders",
        "warehouse/order_items",
        "analytics/daily_order_summary",
    }
    assert {sensor["name"] for sensor in repository["sensors"]} == {
        "s3_order_files_sensor",
        "s3_order_files_reconcile",
        "notify_run_failures",
        "run_worker_watchdog",
    }
    assert "orders_load_job" in {job["name"] for job in repository["jobs"]}
