"""JSON text chunks cut to a number of records that starts small and doubles: the first batches of a file are
cheap, so a file whose first records are all bad is rejected (engine: max_bad_records) after little work, and
a chunk of tiny records (`{}` lines: 1.4 million in 4 MiB) never becomes one huge batch of rejects."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from order_pipeline.conversion.read.text_sources import TextChunk

_NEWLINE = ord("\n")


def ramped(chunks: Iterator[TextChunk], first: int, most: int) -> Iterator[TextChunk]:
    """`chunks` re-cut at line ends so that none holds more than `first`, then twice as many, ... up to `most`
    lines (blank lines count: they are cheap and rare)."""
    cap = max(first, 1)
    for chunk in chunks:
        if chunk.oversized is not None or not chunk.data:
            yield chunk
            continue
        data, line = chunk.data, chunk.first_line
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _NEWLINE)
        start = done = 0  # byte and line where the rest of the chunk starts
        while len(ends) - done > cap:
            cut = int(ends[done + cap - 1]) + 1
            yield TextChunk(data[start:cut], None if line is None else line + done)
            start, done = cut, done + cap
            cap = min(cap * 2, most)
        yield TextChunk(data[start:] if start else data, None if line is None else line + done)
        cap = min(cap * 2, most)
