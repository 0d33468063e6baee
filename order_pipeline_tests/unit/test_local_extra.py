"""The production image does not ship the local endpoint's server: moto is the `local` extra, which dev includes,
and the local commands name that extra when moto is missing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import tomllib

from order_pipeline.commands.moto_server import moto_server_command

ROOT = Path(__file__).resolve().parents[2]


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_moto_is_only_in_the_local_extra_which_dev_includes():
    meta = project()
    assert not [dep for dep in meta["dependencies"] if dep.startswith("moto")]
    assert any(dep.startswith("moto[server]") for dep in meta["optional-dependencies"]["local"])
    assert "order_pipeline[local]" in meta["optional-dependencies"]["dev"]


def test_the_image_installs_without_the_local_extra():
    installs = re.findall(r'^RUN pip install "?\.(\[[^\]]*\])?"?', (ROOT / "deploy" / "Dockerfile").read_text(), re.M)
    assert installs, "the Dockerfile installs the package"
    assert all("local" not in extras and "dev" not in extras for extras in installs)


def test_a_local_command_without_moto_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "moto", None)  # as if not installed
    with pytest.raises(RuntimeError, match=r"pip install 'order_pipeline\[local\]'"):
        moto_server_command("127.0.0.1", 5000)
