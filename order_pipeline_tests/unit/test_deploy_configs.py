"""The deployment files of deploy/ are what Dagster accepts: each validated by Dagster's own config schema
(support/deploy_configs.py), and the ECS and Kubernetes ones kept in step with the production instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError

from order_pipeline.commands.dagster_instance import instance_config
from order_pipeline_tests.support.deploy_configs import (
    check_instance,
    check_instance_file,
    class_config_errors,
    helm_instance,
    helm_k8s_run_launcher,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
POLICIES = ("concurrency", "run_retries", "retention", "sensors", "telemetry")


@pytest.fixture(scope="module")
def production() -> dict:
    return check_instance_file(DEPLOY / "dagster.yaml")


def test_the_production_instance_is_valid_and_states_the_pipelines_policies(production):
    assert set(production["storage"]) == {"postgres"}
    assert production["run_coordinator"]["class"] == "QueuedRunCoordinator"
    limits = production["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "order_pipeline/dataset", "value": {"applyLimitPerUniqueValue": True}, "limit": 2} in limits
    assert production["concurrency"]["pools"]["default_limit"] == 1  # the warehouse pool
    monitoring = production["run_monitoring"]
    assert monitoring["enabled"] and monitoring["max_runtime_seconds"] > 0
    assert monitoring["free_slots_after_run_end_seconds"] > 0
    assert production["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": True}


def test_the_local_instances_are_the_production_one_on_their_storage(production):
    local = check_instance(instance_config("sqlite"))
    assert "storage" not in local and {k: v for k, v in production.items() if k != "storage"} == local
    assert check_instance(instance_config("postgres")) == production


def test_the_ecs_instance_is_valid_and_differs_only_by_its_launcher(production):
    ecs = check_instance_file(DEPLOY / "ecs" / "dagster.yaml")
    assert (ecs["run_launcher"]["module"], ecs["run_launcher"]["class"]) == ("dagster_aws.ecs", "EcsRunLauncher")
    monitoring = dict(ecs["run_monitoring"])
    assert monitoring.pop("max_resume_run_attempts") == 1  # ECS reports dead run tasks: resume once
    assert monitoring == production["run_monitoring"]
    different = {key for key in {*ecs, *production} if ecs.get(key) != production.get(key)}
    assert different == {"run_launcher", "run_monitoring"}


def test_the_helm_values_render_a_valid_kubernetes_instance_with_the_production_policies(production):
    values = yaml.safe_load((DEPLOY / "kubernetes" / "values.yaml").read_text())
    rendered = check_instance(helm_instance(values))
    assert rendered["run_launcher"]["class"] == "K8sRunLauncher"
    assert "order-pipeline-env" in rendered["run_launcher"]["config"]["env_secrets"]
    for section in POLICIES:
        assert rendered[section] == production[section], section
    monitoring = dict(rendered["run_monitoring"])
    assert monitoring.pop("max_resume_run_attempts") == 1
    assert monitoring == production["run_monitoring"]
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["codeServerArgs"][:2] == ["-m", "order_pipeline.definitions"]


def test_the_checks_refuse_what_dagster_refuses():
    """The validation is Dagster's, and it can fail: a misspelt launcher field, a wrong type, a bad instance."""
    assert class_config_errors("dagster_aws.ecs", "EcsRunLauncher", {"use_current_ecs_task_config": True}) == []
    assert class_config_errors("dagster_aws.ecs", "EcsRunLauncher", {"task_role_arn": "arn:aws:iam::1:role/r"})
    assert class_config_errors("dagster_aws.ecs", "EcsRunLauncher", {"secrets": [{"name": "PASSWORD"}]})
    assert class_config_errors("dagster_aws.ecs", "EcsRunLauncher", {"include_sidecars": "yes"})
    values = yaml.safe_load((DEPLOY / "kubernetes" / "values.yaml").read_text())
    launcher = helm_k8s_run_launcher(values)
    assert class_config_errors("dagster_k8s", "K8sRunLauncher", launcher["config"]) == []
    assert class_config_errors("dagster_k8s", "K8sRunLauncher", {**launcher["config"], "job_namespaces": "x"})
    with pytest.raises(DagsterInvalidConfigError):
        check_instance({"run_monitoring": {"enabled": True, "max_runtime": 60}})
    with pytest.raises(AssertionError, match="QueuedRunCoordinator"):
        check_instance(
            {
                "run_coordinator": {
                    "module": "dagster",
                    "class": "QueuedRunCoordinator",
                    "config": {"max_concurrent_runs": "eight"},
                }
            }
        )


def test_the_iam_templates_are_policies_that_name_only_their_placeholders():
    placeholders = {
        "bucket",
        "landing_prefix",
        "lake_prefix",
        "quarantine_prefix",
        "queue_prefix",
        "region",
        "account_id",
        "topic_arn",
        "cloudwatch_namespace",
        "topic_key_alias",
    }
    # actions without resource-level permissions: Resource "*" is the only form IAM takes, scoped by a condition
    no_resource_level = {"cloudwatch:PutMetricData"}
    for path in (DEPLOY / "iam").glob("*.json"):
        document = json.loads(path.read_text())
        assert document["Version"] == "2012-10-17" and document["Statement"], path
        text = path.read_text()
        used = {part.split("}", 1)[0] for part in text.split("${")[1:]}
        assert used <= placeholders, (path, used - placeholders)
        assert "s3:*" not in text and '"Action": "*"' not in text, f"{path}: no wildcard actions"
        for statement in document["Statement"]:
            if statement.get("Resource") == "*":
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert set(actions) <= no_resource_level and statement.get("Condition"), (path, statement)
            else:
                assert '"*"' not in json.dumps(statement), f"{path}: no wildcard resources or actions"
