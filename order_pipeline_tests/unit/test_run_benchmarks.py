"""scripts/run_benchmarks.py: `make bench` finds every benchmark and summarises, whatever each one's verdict."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_runner():
    spec = importlib.util.spec_from_file_location("run_benchmarks", ROOT / "scripts" / "run_benchmarks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_bench_script_of_the_folder_is_picked_up():
    runner = load_runner()
    found = {path.name for path in runner.discover()}
    assert found == {path.name for path in (ROOT / "benchmarks").glob("bench_*.py")}
    assert "bench_convert.py" in found


def test_only_keeps_the_named_benchmarks():
    runner = load_runner()
    assert [path.stem for path in runner.discover(only=["bench_convert"])] == ["bench_convert"]


def test_summary_lists_every_benchmark_with_its_verdict_and_missed_targets():
    runner = load_runner()
    outcomes = [
        runner.Outcome("bench_a", 0, 1.0, ()),
        runner.Outcome("bench_b", 1, 2.0, ("MISSED target x: 3 s",)),
        runner.Outcome("bench_c", 2, 0.5, ()),
    ]
    text = runner.summary(outcomes)
    assert "bench_a                  PASS" in text
    assert "bench_b                  MISSED" in text
    assert "    MISSED target x: 3 s" in text
    assert "bench_c                  FAILED" in text
    assert text.endswith("1 of 3 benchmarks passed")
