"""The definitions as Dagster's own tools load them (`dg check defs`, `dg list defs`) and as an installed wheel
loads them without the checkout: each in a process of its own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from order_pipeline.components.pipeline import build_definitions
from order_pipeline.config import load_settings
from order_pipeline_tests.support.definitions_snapshot import EXPECTED_KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_dg_check_defs_passes():
    dg_cli = shutil.which("dg", path=str(Path(sys.executable).parent))
    assert dg_cli, "dagster-dg-cli is a dev dependency"
    result = subprocess.run([dg_cli, "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dg_list_defs_agrees_with_the_definitions_the_commands_and_tests_build():
    """`defs/` (loaded by dg from the folder) and `build_definitions` (headless commands, tests) are one thing."""
    dg_cli = shutil.which("dg", path=str(Path(sys.executable).parent))
    listed = subprocess.run([dg_cli, "list", "defs", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    built = build_definitions(load_settings({}))
    graph = built.resolve_asset_graph()
    assert {a["asset_key"] for a in found["assets"]} == {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {c["key"] for c in found["asset_checks"]} == {
        f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys
    }
    assert {j["name"] for j in found["jobs"]} == {j.name for j in built.jobs}
    assert {s["name"] for s in found["sensors"]} == {s.name for s in built.sensors}
    assert {r["name"] for r in found["resources"]} == set(built.resources)


def test_an_installed_wheel_loads_the_same_definitions(tmp_path):
    """A container image installs the package, without the checkout's pyproject.toml: defs/ must load anyway."""
    python = sys.executable
    built = subprocess.run(
        [python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("order_pipeline-*.whl")
    site = tmp_path / "site"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    probe = (
        "import json, order_pipeline.definitions as d; defs = d.defs(); "
        "print(json.dumps([d.__file__, sorted(k.to_user_string() for k in "
        "defs.resolve_asset_graph().get_all_asset_keys()), sorted(s.name for s in defs.sensors)]))"
    )
    loaded = subprocess.run(
        [python, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    location, keys, sensors = json.loads(loaded.stdout.splitlines()[-1])
    assert location.startswith(str(site)) and set(keys) == EXPECTED_KEYS
    assert sensors == [
        "notify_run_failures",
        "run_worker_watchdog",
        "s3_order_files_reconcile",
        "s3_order_files_sensor",
    ]
