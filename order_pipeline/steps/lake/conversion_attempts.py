"""The crash guard of the lake step: a file version that kills its process is not converted forever.

An exception in one file is isolated (the file is quarantined), but a file that kills the process (out of
memory, SIGKILL) cannot be caught. So an attempt is recorded in S3 before a conversion starts and cleared
when it ends either way; attempts left behind were cut short. After MAX_ATTEMPTS of them, the version is
quarantined instead of being converted again.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from order_pipeline.aws import s3_objects
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.layout import LakeLayout

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def cut_short_reason(version: FileVersion, attempts: int) -> str:
    return (
        f"{version.uri}: conversion did not complete in {attempts} attempts (process killed or out of "
        "memory?); quarantined instead of being converted again"
    )


class ConversionAttempts:
    """The attempts counter of one file version (a small JSON object beside its conversion record)."""

    def __init__(self, s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, version: FileVersion) -> None:
        self.s3, self.bucket, self.version = s3, layout.bucket, version
        self.key = layout.attempts_key(dataset.name, partition, version)

    def cut_short(self) -> int:
        """How many earlier attempts started and never finished."""
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return 0
        try:
            return int(json.loads(body)["attempts"])
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable attempts record %s; counting it as one attempt", self.key)
            return 1

    def start(self, previous: int) -> None:
        body = {
            "source": self.version.uri,
            "etag": self.version.etag,
            "attempts": previous + 1,
            "last_started_at": datetime.now(timezone.utc).isoformat(),
        }
        s3_objects.put_bytes(self.s3, self.bucket, self.key, json.dumps(body).encode(), "application/json")

    def finish(self, previous: int | None = None) -> None:
        """The attempt ended without killing the process: forget it (or go back to `previous` attempts, when
        it ended with an exception that fails the step, so a retry is not counted as a crash)."""
        try:
            if previous:
                body = {"source": self.version.uri, "etag": self.version.etag, "attempts": previous}
                s3_objects.put_bytes(self.s3, self.bucket, self.key, json.dumps(body).encode(), "application/json")
            else:
                self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except Exception as error:  # noqa: BLE001 - best effort: at worst the attempt counts as cut short
            log.warning("could not clear the conversion attempt %s: %s", self.key, error)
