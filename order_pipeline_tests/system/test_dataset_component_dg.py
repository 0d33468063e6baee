"""`dg scaffold defs DatasetComponent <feed>` writes a template `dg check defs` accepts; a typo in a kind, a merge
key that is not a column and an unknown option each fail `dg check defs` naming it (real dg processes, in a
project of their own so that the product's defs folder is left alone)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from order_pipeline.datasets.registry import COMPONENT_TYPE

BIN = Path(sys.executable).parent
DEFINITIONS = """from pathlib import Path

import dagster as dg

from order_pipeline.components.pipeline import resource_definitions
from order_pipeline.config import load_settings


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent), resource_definitions(load_settings())
    )
"""


def _dg(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIRTUAL_ENV": str(BIN.parent), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    dg_cli = shutil.which("dg", path=str(BIN))
    assert dg_cli, "dagster-dg-cli is a dev dependency"
    return subprocess.run([dg_cli, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_scaffold_then_check_then_typos_are_named(tmp_path):
    project = tmp_path / "proj"
    (project / "feeds" / "defs").mkdir(parents=True)
    (project / "feeds" / "__init__.py").write_text("")
    (project / "feeds" / "defs" / "__init__.py").write_text("")
    (project / "feeds" / "definitions.py").write_text(DEFINITIONS)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "feeds"\nversion = "0.0.1"\n\n[tool.dg]\ndirectory_type = "project"\n\n'
        '[tool.dg.project]\nroot_module = "feeds"\n'
        'registry_modules = ["order_pipeline.components.dataset_component"]\n'
    )
    scaffolded = _dg(project, "scaffold", "defs", COMPONENT_TYPE, "invoices")
    assert scaffolded.returncode == 0, scaffolded.stdout + scaffolded.stderr
    defs_yaml = project / "feeds" / "defs" / "invoices" / "defs.yaml"
    template = defs_yaml.read_text()
    assert template.startswith("#") and "name: invoices" in template
    checked = _dg(project, "check", "defs")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    for old, new, named in (
        ("kind: decimal", "kind: decimall", "kind 'decimall' is not a kind"),
        ("merge_key: [id]", "merge_key: [invoice_id]", "merge_key: 'invoice_id' is not a declared column"),
        ("max_bad_records: 100", "max_bad_rows: 100", "max_bad_rows"),
    ):
        defs_yaml.write_text(template.replace(old, new))
        refused = _dg(project, "check", "defs")
        assert refused.returncode != 0 and named in refused.stdout + refused.stderr, (named, refused.stderr[-3000:])
