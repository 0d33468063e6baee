"""The rejects report of one file (JSON Lines): every rejected record with its reasons, the first few kept as
previews for the conversion record and notifications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from order_pipeline.conversion.read.batch import Reject

REJECTS_FILE = "rejects.jsonl"
FIRST_REJECTS = 10
FIRST_REPORT_BYTES = 16 << 10  # a longer report is kept in `first` with its raw record cut to a preview
RAW_PREVIEW_CHARS = 2000


def _json_default(value: Any) -> Any:
    return str(value)  # Decimal and friends from Parquet rows


def _dump(report: dict[str, Any]) -> bytes:
    """One reject report as JSON; a raw record JSON cannot hold (lone surrogates, say) is kept as its text."""
    try:
        return orjson.dumps(report, default=_json_default)
    except (TypeError, orjson.JSONEncodeError):
        try:
            raw = json.dumps(report.get("raw"), default=str)  # escapes what orjson refuses
        except (TypeError, ValueError, RecursionError) as exc:
            raw = f"(the raw record could not be written: {type(exc).__name__})"
        return orjson.dumps(dict(report, raw=raw), default=_json_default)


def _preview(line: bytes) -> dict[str, Any]:
    """A report as kept in `first` (conversion records, notifications): a long raw record is cut to its head,
    with its size; the rejects file keeps it whole."""
    report = orjson.loads(line)
    if len(line) > FIRST_REPORT_BYTES:
        raw = report.get("raw")
        text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
        report.update(
            raw=text[:RAW_PREVIEW_CHARS],
            raw_truncated=True,
            raw_bytes=report.get("raw_bytes") or len(text.encode("utf-8", "replace")),
        )
    return report


class RejectLog:
    """Appends reject reports to `out_dir/rejects.jsonl` (created on the first reject; refused if it exists):
    the first `keep` of them; the others are only counted (a file with more is rejected anyway)."""

    def __init__(self, out_dir: Path, source_name: str, keep: int | None = None) -> None:
        self.path = out_dir / REJECTS_FILE
        if self.path.exists():  # never removed nor overwritten: a file this conversion did not write is not its own
            raise FileExistsError(f"{self.path} already exists: convert into a folder without earlier outputs")
        self.source_name = source_name
        self.count = 0  # rejects found
        self.kept = 0  # rejects written to the report
        self.keep = keep
        self.first: list[dict[str, Any]] = []
        self._file: Any = None

    @property
    def room(self) -> int:
        """How many more rejects the report keeps."""
        if self.keep is None:
            return 1 << 62
        return max(self.keep - self.kept, 0)

    def add(self, rejects: list[Reject], found: int | None = None) -> None:
        """Report `rejects` (as many as there is room for); `found`: how many rejects they stand for, when the
        caller already left out those without room."""
        self.count += len(rejects) if found is None else found
        rejects = rejects[: self.room]
        if not rejects:
            return
        if self._file is None:
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        lines = [_dump(reject.report(self.source_name)) for reject in rejects]
        self._file.write(b"".join(line + b"\n" for line in lines))
        self.kept += len(lines)
        self.first.extend(_preview(line) for line in lines[: FIRST_REJECTS - len(self.first)])

    def close(self) -> Path | None:
        if self._file is not None:
            self._file.close()
            return self.path
        return None
