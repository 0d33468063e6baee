"""Issue 20: the resource attacks (support/hostile_files.py, at test size) through `order-pipeline convert`, as a
user runs it: each attack is rejected naming its limit (or converted, where the file is valid), the rejects kept
stay small, and the good neighbour converted in the same command lands."""

from __future__ import annotations

import orjson
import pyarrow.parquet as pq

from order_pipeline.cli import main
from order_pipeline_tests.support.env import patched_environ
from order_pipeline_tests.support.hostile_files import SMALL_LIMIT_SETTINGS, big_elements_array, small_corpus


def test_every_attack_is_rejected_naming_its_limit_and_the_neighbour_converts(tmp_path, monkeypatch, capsys):
    corpus = small_corpus(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    with patched_environ(SMALL_LIMIT_SETTINGS):
        code = main(["convert", *(str(h.path) for h in corpus.values()), "--out", "out"])
    printed = capsys.readouterr().out
    assert code == 1, printed  # some files were rejected

    lines = {
        name: next(line for line in printed.splitlines() if line.startswith(str(h.path))) for name, h in corpus.items()
    }
    for name, hostile in corpus.items():
        line = lines[name]
        assert f": {hostile.status}," in line, (name, line)
        folder = tmp_path / line.rsplit(" -> ", 1)[1]
        if hostile.status == "rejected":
            assert hostile.reason in line.replace(str(hostile.path), ""), (name, line)
            continue
        landed = pq.read_table(folder / "orders.parquet")
        assert landed.num_rows == hostile.good_rows, name
        assert "blob" not in landed.column_names and "note" not in landed.column_names
        if hostile.status == "partial":
            rejects = [orjson.loads(x) for x in (folder / "rejects.jsonl").read_bytes().splitlines()]
            assert len(rejects) == 1 and hostile.reason in rejects[0]["reason"], rejects


def test_the_gzip_of_empty_objects_keeps_only_the_first_rejects(tmp_path, monkeypatch, capsys):
    corpus = small_corpus(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    assert main(["convert", str(corpus["empty_objects"].path), "--out", "out"]) == 1
    (folder,) = (tmp_path / "out").iterdir()
    written = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert written < 1 << 20, written  # 300,000 bad records, yet only the first rejects are written
    rejects = (folder / "rejects.jsonl").read_bytes().splitlines()
    assert len(rejects) == 101, len(rejects)  # max_bad_records + 1: the one that decided the outcome


def test_a_valid_array_of_big_elements_converts_under_the_default_limits(tmp_path, monkeypatch, capsys):
    # 132 × 512 KB: 69 MB from well under 1 MB of gzip (~700:1), past the former 64 MiB ratio grace
    source = big_elements_array(tmp_path, 132)
    monkeypatch.chdir(tmp_path)
    assert main(["convert", str(source), "--out", "out"]) == 0, capsys.readouterr().out
    (folder,) = (tmp_path / "out").iterdir()
    assert pq.read_table(folder / "orders.parquet").num_rows == 132


def test_the_compression_ratio_limit_still_quarantines_naming_itself_once_past_its_grace(tmp_path, monkeypatch, capsys):
    source = big_elements_array(tmp_path, 16, 256 << 10)  # 4 MB from a few KB of gzip
    monkeypatch.chdir(tmp_path)
    with patched_environ({"ORDER_PIPELINE_RATIO_GRACE_BYTES": str(1 << 20)}):
        assert main(["convert", str(source), "--out", "out"]) == 1
    printed = capsys.readouterr().out
    assert ": rejected," in printed and "max_compression_ratio=200 (ORDER_PIPELINE_MAX_COMPRESSION_RATIO)" in printed
