"""The Dagster instance a local stack runs on: the production instance of `deploy/dagster.yaml` (run queue,
per-dataset limits, the warehouse pool, run monitoring, run retries, retention), on SQLite under the state folder
or, when asked, on the PostgreSQL that file names through DAGSTER_PG_* variables.

`deploy/` sits beside the package in a checkout (`make run`, the tests); an installed wheel without it gets
Dagster's defaults plus the one limit the local warehouse needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

Storage = Literal["sqlite", "postgres"]
DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"
INSTANCE_FILE = DEPLOY_DIR / "dagster.yaml"
WITHOUT_DEPLOY_DIR: dict[str, Any] = {"concurrency": {"pools": {"default_limit": 1}}}  # one warehouse load at a time


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` laid over it, nested mappings merged key by key."""
    result = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def instance_config(
    storage: Storage = "sqlite", overrides: Mapping[str, Any] | None = None, template: Path = INSTANCE_FILE
) -> dict[str, Any]:
    """The production instance configuration with its storage chosen and `overrides` merged in.

    SQLite is Dagster's default storage in DAGSTER_HOME, so it is the production file without `storage`."""
    if template.exists():
        config = yaml.safe_load(template.read_text()) or {}
    elif storage == "postgres":
        raise FileNotFoundError(f"{template} holds the PostgreSQL storage; run from a checkout of order_pipeline")
    else:
        config = dict(WITHOUT_DEPLOY_DIR)
    if storage == "sqlite":
        config.pop("storage", None)
    return merged(config, overrides or {})


def write_instance(home: Path, config: Mapping[str, Any], *, header: str = "") -> Path:
    """Write `config` as DAGSTER_HOME/dagster.yaml (the folder is created)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    path.write_text(comment + yaml.safe_dump(dict(config), sort_keys=False))
    return path
