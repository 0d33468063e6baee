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
from order_pipeline.steps.lake.attempt_owner import AttemptOwner, current_owner

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def cut_short_reason(version: FileVersion, attempts: int) -> str:
    return (
        f"{version.uri}: conversion did not complete in {attempts} attempts (process killed or out of "
        "memory?); quarantined instead of being converted again"
    )


class ConversionAttempts:
    """The attempts record of one file version (a small JSON object beside its conversion record): one entry per
    attempt, keyed by its owner (run id and process), so that an attempt in flight in an overlapping run of the
    date is never counted as cut short; only dead attempts are (attempt_owner)."""

    def __init__(
        self,
        s3: Any,
        layout: LakeLayout,
        dataset: Dataset,
        partition: str,
        version: FileVersion,
        owner: AttemptOwner | None = None,
    ) -> None:
        self.s3, self.bucket, self.version = s3, layout.bucket, version
        self.key = layout.attempts_key(dataset.name, partition, version)
        self.owner = owner or current_owner()
        self._earlier = 0  # attempts counted by a record written before owners were recorded
        self._runs: dict[str, Any] = {}  # attempt id -> owner, as last read

    def _read(self) -> None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            self._earlier, self._runs = 0, {}
            return
        try:
            document = json.loads(body)
            runs = document.get("runs")
            self._runs = dict(runs) if isinstance(runs, dict) else {}
            self._earlier = int(document.get("earlier", 0 if isinstance(runs, dict) else document["attempts"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("unreadable attempts record %s; counting it as one attempt", self.key)
            self._earlier, self._runs = 1, {}

    def cut_short(self) -> int:
        """How many earlier attempts started and died (attempts of live runs are in flight, not counted)."""
        self._read()
        return self._earlier + sum(1 for owner in self._runs.values() if self.owner.is_dead(owner))

    def _write(self, runs: dict[str, Any]) -> None:
        body = {
            "source": self.version.uri,
            "etag": self.version.etag,
            "attempts": self._earlier + len(runs),
            "earlier": self._earlier,
            "runs": runs,
            "last_started_at": datetime.now(timezone.utc).isoformat(),
        }
        s3_objects.put_bytes(self.s3, self.bucket, self.key, json.dumps(body).encode(), "application/json")

    def start(self, previous: int | None = None) -> None:
        """This attempt starts (its entry added to those read by `cut_short`; `previous` is not used)."""
        self._write({**self._runs, self.owner.attempt_id: self.owner.to_json()})

    def charge(self, dead: dict[str, Any] | None) -> None:
        """A dead step's attempt at this file (its owner `dead`), charged once however many steps charge it."""
        self._read()
        attempt_id = f"{dead.get('run_id')}.{dead.get('pid')}" if isinstance(dead, dict) else "unowned"
        self._write({**self._runs, attempt_id: dead if isinstance(dead, dict) else {}})

    def count_failure(self) -> None:
        """This attempt failed in a way that may be the file's own doing (out of disk or memory while converting
        it): it counts as an attempt, like a crash, so the file is quarantined after MAX_ATTEMPTS."""
        self._read()
        self._earlier += 1
        self._write({k: v for k, v in self._runs.items() if k != self.owner.attempt_id})

    def finish(self, previous: int | None = None) -> None:
        """The attempt ended without killing the process: forget the record (or only this attempt, when it ended
        with an exception that fails the step, so a retry is not counted as a crash)."""
        try:
            if previous is not None and (previous or self._runs):
                self._write({k: v for k, v in self._runs.items() if k != self.owner.attempt_id})
            else:
                self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except Exception as error:  # noqa: BLE001 - best effort: at worst the attempt counts as cut short
            log.warning("could not clear the conversion attempt %s: %s", self.key, error)
