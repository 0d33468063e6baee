"""Every declared dataset: the Python declarations (`DATASETS`) and the datasets declared in YAML, as
`defs.yaml` files of the dataset component under the package's `defs/` folder.

Whatever iterates datasets outside Dagster (`aws bootstrap`, `local up`, `replay`, `convert`, the headless
commands) asks `registered_datasets()`, so a feed declared in a `defs.yaml` gets its queue, notification and
sensor like a Python one. Dagster loads the same files as components (components/dataset_component.py).
Pure domain code: reading YAML, no Dagster, no boto3; nothing is read at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from order_pipeline.datasets import DATASETS
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.yaml_declaration import DatasetSpec

# The `type:` of a dataset declared in YAML (the dataset component's fully qualified name).
COMPONENT_TYPE = "order_pipeline.components.dataset_component.DatasetComponent"
DEFS_FILE = "defs.yaml"


class DeclarationError(ValueError):
    """A `defs.yaml` dataset declaration that does not hold (the message names the file and the field)."""


def product_defs_folder() -> Path:
    """The package's own `defs/` folder (where `dg scaffold defs` puts a new feed)."""
    return Path(__file__).resolve().parent.parent / "defs"


def _declarations(folder: Path) -> Iterator[tuple[Path, dict]]:
    for path in sorted(folder.rglob(DEFS_FILE)):
        with open(path, encoding="utf-8") as file:
            for document in yaml.safe_load_all(file):
                if isinstance(document, dict) and document.get("type") == COMPONENT_TYPE:
                    yield path, document.get("attributes") or {}


def yaml_datasets(folder: Path) -> tuple[Dataset, ...]:
    """The datasets the `defs.yaml` files below `folder` declare."""
    datasets = []
    for path, attributes in _declarations(folder):
        try:
            datasets.append(DatasetSpec.model_validate(attributes).to_dataset())
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise DeclarationError(f"{path}: {exc}") from exc
    return tuple(datasets)


def registered_datasets(defs_folder: Path | None = None) -> tuple[Dataset, ...]:
    """The Python declarations, then the YAML ones of `defs_folder` (default: the package's `defs/`)."""
    found = (*DATASETS, *yaml_datasets(defs_folder or product_defs_folder()))
    names = [d.name for d in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DeclarationError(f"dataset {', '.join(map(repr, twice))} declared more than once")
    return found
