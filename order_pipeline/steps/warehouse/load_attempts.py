"""The crash guard of the warehouse step: a load that kills its process (out of memory, SIGKILL) is not tried
the same way forever.

Before a load starts, the file versions it loads are counted in one small S3 object per partition; a load that
ends, committed or raised, removes them again. Versions still counted were in a load cut short: the next load
takes them one at a time (so one version cannot take the others down with it), and a version cut short
MAX_LOAD_ATTEMPTS times is dead-lettered in the ledger instead of being loaded again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from order_pipeline.aws import s3_objects
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.layout import LakeLayout

log = logging.getLogger(__name__)

MAX_LOAD_ATTEMPTS = 3


class LoadAttempts:
    def __init__(self, s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, *, recorded: bool = True) -> None:
        """`recorded=False` when a listing showed no such object: nothing to read. The counts last read or written
        are kept (one step loads a partition at a time), so starting and ending a load costs one request each."""
        self.s3, self.bucket = s3, layout.bucket
        self.key = layout.load_attempts_key(dataset.name, partition)
        self._known: dict[str, int] | None = None if recorded else {}

    def cut_short(self) -> dict[str, int]:
        """version_id -> loads of it that started and never ended."""
        if self._known is None:
            self._known = self._read()
        return dict(self._known)

    def _read(self) -> dict[str, int]:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return {}
        try:
            return {str(k): int(v) for k, v in json.loads(body).items()}
        except (ValueError, AttributeError, TypeError):
            log.warning("unreadable load attempts %s: starting over", self.key)
            return {}

    def start(self, versions: Iterable[FileVersion]) -> None:
        counts = self.cut_short()
        for version in versions:
            counts[version.version_id] = counts.get(version.version_id, 0) + 1
        self._write(counts)

    def finish(self, versions: Iterable[FileVersion]) -> None:
        counts = self.cut_short()
        for version in versions:
            counts.pop(version.version_id, None)
        self._write(counts)

    def _write(self, counts: dict[str, int]) -> None:
        self._known = None  # unknown until the write below succeeds
        if counts:
            s3_objects.put_bytes(
                self.s3, self.bucket, self.key, json.dumps(counts, sort_keys=True).encode(), "application/json"
            )
        else:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        self._known = dict(counts)


def cut_short_reason(version: FileVersion, attempts: int) -> str:
    return (
        f"{version.uri}: the warehouse load did not complete in {attempts} attempts (process killed or out of "
        "memory?); dead-lettered instead of being loaded again"
    )
