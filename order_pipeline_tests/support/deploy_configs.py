"""Dagster's own config schema applied to the deployment files of deploy/.

An instance file is loaded the way DagsterInstance loads one (`dagster_instance_config`: the top-level schema,
PostgreSQL storage, concurrency rules), then each configurable class it names (run coordinator, run launcher) is
validated against that class's `config_type()`, as the instance does when it builds the class. Dagster has no
public entry point for the class step (`ConfigurableClassData.rehydrate` would also construct the launcher, which
needs a cluster): the private `dagster._config` validation is used, in tests only.

The Helm values are rendered into the instance the chart writes (its `configmap-instance.yaml` and run launcher
helpers: camelCase values become the snake_case instance keys; the chart adds the keys it owns, such as the
instance ConfigMap and the PostgreSQL secret, as environment references) and checked the same way.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dagster._config import resolve_to_config_type, validate_config
from dagster._core.instance.config import dagster_instance_config

CLASS_SECTIONS = ("run_coordinator", "run_launcher")


def class_config_errors(module: str, name: str, config: Mapping[str, Any] | None) -> list[str]:
    """The errors of `config` for a configurable class (empty: valid)."""
    klass = getattr(importlib.import_module(module), name)
    result = validate_config(resolve_to_config_type(klass.config_type()), dict(config or {}))
    return [] if result.success else [f"{module}.{name}: {error.message}" for error in result.errors]


def check_instance_file(path: Path) -> dict[str, Any]:
    """The instance configuration in `path`, validated like DagsterInstance does; raises on any error."""
    config, _ = dagster_instance_config(str(path.parent), path.name)  # raises DagsterInvalidConfigError
    errors = [
        error
        for section in CLASS_SECTIONS
        if section in config
        for error in class_config_errors(
            config[section]["module"], config[section]["class"], config[section].get("config")
        )
    ]
    assert not errors, f"{path}: " + "; ".join(errors)
    return yaml.safe_load(path.read_text())


def check_instance(config: Mapping[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dagster.yaml"
        path.write_text(yaml.safe_dump(dict(config)))
        return check_instance_file(path)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _snake_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_snake(key): value for key, value in values.items()}


def helm_k8s_run_launcher(values: Mapping[str, Any], namespace: str = "dagster") -> dict[str, Any]:
    """`runLauncher` (type K8sRunLauncher) as the chart renders it into the instance's `run_launcher`."""
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    k8s = launcher["config"]["k8sRunLauncher"]
    config: dict[str, Any] = {
        "load_incluster_config": k8s["loadInclusterConfig"],
        "job_namespace": k8s.get("jobNamespace") or namespace,
        "image_pull_policy": k8s["imagePullPolicy"],
        "service_account_name": "dagster",  # the chart's own service account
        "dagster_home": {"env": "DAGSTER_HOME"},
        "instance_config_map": {"env": "DAGSTER_K8S_INSTANCE_CONFIG_MAP"},
        "postgres_password_secret": {"env": "DAGSTER_K8S_PG_PASSWORD_SECRET"},
        "env_config_maps": [
            {"env": "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"},
            *(item["name"] for item in k8s.get("envConfigMaps", ())),
        ],
        "env_secrets": [item["name"] for item in k8s.get("envSecrets", ())],
    }
    for key in ("kubeconfigFile", "envVars", "volumeMounts", "volumes", "labels", "failPodOnRunFailure"):
        if k8s.get(key):
            config[_snake(key)] = k8s[key]
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def helm_instance(values: Mapping[str, Any]) -> dict[str, Any]:
    """The policies the chart writes into dagster.yaml from the values (storage left out: the chart owns it)."""
    daemon = values["dagsterDaemon"]
    coordinator = daemon["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    concurrency = values["concurrency"]
    assert concurrency["enabled"]
    runs = concurrency["runs"]
    return {
        "run_launcher": helm_k8s_run_launcher(values),
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": _snake_keys(coordinator["config"]["queuedRunCoordinator"]),
        },
        "run_monitoring": _snake_keys(daemon["runMonitoring"]),
        "run_retries": _snake_keys(daemon["runRetries"]),
        "sensors": _snake_keys(daemon["sensors"]),
        "concurrency": {
            "runs": {
                "max_concurrent_runs": runs["maxConcurrentRuns"],
                "tag_concurrency_limits": runs["tagConcurrencyLimits"],
            },
            "pools": _snake_keys(concurrency["pools"]),
        },
        "retention": {
            kind: {"purge_after_days": settings["purgeAfterDays"]}
            for kind, settings in values["retention"].items()
            if kind != "enabled"
        },
        "telemetry": values["telemetry"],
    }
