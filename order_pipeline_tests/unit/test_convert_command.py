"""`order-pipeline convert` on local files, as a user calls it (the CLI's `main`, from a working folder).

(Issue 25, item 5: from `work/sub`, `convert .. --out ../out` ended in IsADirectoryError and removed
`work/orders.parquet` and `work/rejects.jsonl`: the output folder of the input `..` was `out/..`, i.e. `work`.)
"""

from __future__ import annotations

import pyarrow.parquet as pq

from order_pipeline.cli import main
from order_pipeline_tests.support.order_samples import order, write_jsonl


def test_a_folder_given_as_input_is_refused_and_nothing_outside_out_is_touched(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    mine = {work / "orders.parquet": b"someone's own parquet", work / "rejects.jsonl": b'{"kept": true}\n'}
    for path, content in mine.items():
        path.write_bytes(content)
    monkeypatch.chdir(work / "sub")

    assert main(["convert", "..", "--out", "../out"]) == 2
    assert "..: a folder; convert takes regular files" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in mine} == mine  # not removed, not rewritten
    assert not (work / "out").exists() or not any((work / "out").rglob("*"))


def test_two_inputs_of_one_name_get_folders_of_their_own(tmp_path, monkeypatch, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_jsonl(tmp_path / "a" / "orders.jsonl", [order(1), order(2)])
    write_jsonl(tmp_path / "b" / "orders.jsonl", [order(3)])
    monkeypatch.chdir(tmp_path)

    assert main(["convert", "a/orders.jsonl", "b/orders.jsonl", "./a/orders.jsonl", "--out", "out"]) == 0
    printed = capsys.readouterr().out
    folders = sorted((tmp_path / "out").iterdir())  # a/orders.jsonl named twice is converted once
    assert len(folders) == 2 and all(f"-> out/{folder.name}" in printed for folder in folders), printed
    ids = sorted(pq.read_table(folder / "orders.parquet")["order_id"].to_pylist() for folder in folders)
    assert ids == [["ORD-20261120-000001", "ORD-20261120-000002"], ["ORD-20261120-000003"]]


def test_converting_again_into_the_same_out_is_refused_and_keeps_the_earlier_outputs(tmp_path, monkeypatch, capsys):
    write_jsonl(tmp_path / "orders.jsonl", [order(1), order(2, status="lost")])
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "orders.jsonl", "--out", "out"]) == 0
    (folder,) = (tmp_path / "out").iterdir()
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert set(before) == {"orders.parquet", "order_items.parquet", "rejects.jsonl"}
    capsys.readouterr()

    write_jsonl(tmp_path / "orders.jsonl", [order(1)])  # fixed at the source: no rejects any more
    assert main(["convert", "orders.jsonl", "--out", "out"]) == 2
    assert f"out/{folder.name} already holds files (an earlier convert?)" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
