"""Local copies of the S3 objects this machine just wrote, so that a later step of the same run reads them from
disk instead of fetching them again (the lake step writes the parts and conversion records the warehouse step
loads). A copy is found by bucket, key and the ETag S3 gave the object: the caller names the ETag it expects (from
a listing or a conversion record), so a copy of an object changed since is never used. Best effort throughout: a
missing, stale or unreadable copy means one GET, as without copies.

Copies live under the system's temporary folder; the warehouse step drops those of the files it loaded, and copies
older than MAX_AGE_SECONDS are removed when a lake step starts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 6 * 3600


def default_root() -> Path:
    return Path(tempfile.gettempdir()) / "order-pipeline-copies"


class LocalCopies:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_root()

    def _path(self, bucket: str, key: str, etag: str) -> Path:
        name = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()[:40]
        return self.root / f"{name}-{etag.strip(chr(34))}"

    def keep(self, bucket: str, key: str, etag: str | None, source: Path | bytes) -> None:
        """Keep a copy of what was written to `bucket`/`key` (S3 gave it `etag`)."""
        if not etag:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            target = self._path(bucket, key, etag)
            partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            if isinstance(source, bytes):
                partial.write_bytes(source)
            else:
                try:
                    os.link(source, partial)
                except OSError:
                    shutil.copyfile(source, partial)
            os.replace(partial, target)
        except OSError as error:
            log.debug("no local copy of s3://%s/%s: %s", bucket, key, error)

    def find(self, bucket: str, key: str, etag: str | None) -> Path | None:
        """The local copy of `bucket`/`key` as it is when its ETag is `etag`, if this machine kept one."""
        if not etag:
            return None
        path = self._path(bucket, key, etag)
        return path if path.is_file() else None

    def drop(self, bucket: str, key: str, etag: str | None) -> None:
        if etag:
            self._path(bucket, key, etag).unlink(missing_ok=True)

    def prune(self, max_age: float = MAX_AGE_SECONDS) -> None:
        """Remove copies older than `max_age` seconds (left by steps that never ran, or failed)."""
        cutoff = time.time() - max_age
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                continue
