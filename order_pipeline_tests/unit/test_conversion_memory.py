"""Streaming: peak memory does not grow with the size of the input file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from order_pipeline_tests.support.order_samples import order

# Peak RSS is read from VmHWM, which starts afresh at exec. ru_maxrss would not do: a forked child keeps its
# parent's peak, and inside a long pytest session the parent alone is ~500 MB.
_CONVERT = """
import sys
from pathlib import Path
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.orders import ORDERS
result = convert_file(ORDERS, Path(sys.argv[1]), Path(sys.argv[2]))
assert result.status == "converted", result.file_error
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(result.rows["orders"], peak_kb // 1024)
"""


def _write_orders(path: Path, count: int) -> int:
    template = orjson.dumps(order(1)).replace(b"000001", b"%06d") + b"\n"
    with open(path, "wb") as file:
        for start in range(0, count, 10_000):
            file.write(b"".join(template % (n % 1_000_000) for n in range(start, min(count, start + 10_000))))
    return path.stat().st_size


def _peak_rss_mb(source: Path, out: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _CONVERT, str(source), str(out)], check=True, capture_output=True, text=True, timeout=120
    )
    rows, rss = done.stdout.split()
    return int(rows), int(rss)


@pytest.mark.slow
def test_peak_memory_is_flat_in_file_size(tmp_path: Path) -> None:
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    _write_orders(small, 30_000)
    assert _write_orders(large, 300_000) > 140_000_000
    small_rows, small_rss = _peak_rss_mb(small, tmp_path / "out_small")
    large_rows, large_rss = _peak_rss_mb(large, tmp_path / "out_large")
    assert (small_rows, large_rows) == (30_000, 300_000)
    # 10x the input costs well under one input's worth of extra memory, and stays far below 500 MB.
    assert large_rss - small_rss < 140, (small_rss, large_rss)  # the large input alone is > 140 MB
    assert large_rss < 500  # the acceptance bound, whatever the file size
