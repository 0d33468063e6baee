"""Bad files, nothing lost: every corpus file converted by the real converter, checked against the corpus.

Good records land in the canonical Parquet, each bad record has exactly one line in the rejects file, and an
unreadable or mostly bad file is rejected as a whole with a reason.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
from order_pipeline_tests.support.bad_inputs import BadInput, build_corpus

CORPUS = [entry for entry in build_corpus() if not entry.hidden_name]  # names are the lake step's business
REJECT_FIELDS = {"source", "record", "line", "field", "reason", "raw"}


def _convert(entry: BadInput, tmp_path: Path):
    source = tmp_path / "in" / entry.filename
    source.parent.mkdir()
    source.write_bytes(entry.content)
    name = f"s3://landing/orders/2026/11/20/{entry.filename}"
    return convert_file(ORDERS, source, tmp_path / "out", source_name=name), name


def _rejects(path: Path | None) -> list[dict]:
    if path is None or not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.kind)
def test_converting_the_corpus(entry: BadInput, tmp_path: Path) -> None:
    result, name = _convert(entry, tmp_path)
    if entry.whole_file_rejected:
        assert result.status == "rejected", result
        assert not any(result.rows.values())
        assert result.file_error, result
        cause = result.file_error.replace(name, "").lower()  # the file's name must not count as the reason
        assert entry.reason_contains in cause, result.file_error
        return
    assert result.file_error is None, result.file_error
    assert result.status == ("partial" if entry.bad_records else "converted")
    assert result.rows["orders"] == entry.good_records
    assert result.rejected_records == entry.bad_records
    assert result.total_records == entry.good_records + entry.bad_records
    assert result.counts == {"read": result.total_records, "written": entry.good_records, "rejected": entry.bad_records}

    landed = pq.read_table(result.outputs["orders"]).column("order_id").to_pylist()
    assert len(landed) == len(set(landed)) == entry.good_records
    items = pq.read_table(result.outputs["order_items"])
    assert result.rows["order_items"] == items.num_rows >= entry.good_records
    assert set(items.column("order_id").to_pylist()) == set(landed)

    rejects = _rejects(result.rejects_path)
    assert len(rejects) == entry.bad_records
    for reject in rejects:
        assert REJECT_FIELDS <= set(reject), reject
        assert reject["source"] == name
        assert entry.reason_contains in f"{reject['field']} {reject['reason']}".lower(), reject
        raw = reject["raw"]
        if isinstance(raw, str) and raw.lstrip().startswith("{"):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        assert not (isinstance(raw, dict) and raw.get("order_id") in landed), raw
    assert len({reject["record"] for reject in rejects}) == len(rejects)
