"""The crash guard of a lake step as a whole: two requests a step (one object written before its files are
converted, removed when the step ends), none a file on the happy path.

A step that dies leaves the object behind, naming its files in the order they were started. Files finish in that
order up to the PARALLEL_FILES converted at once (each file's conversion record is written when it finishes), so
the files that were being converted when the process died are among the first PARALLEL_FILES of them without a
conversion record. The next step charges each of those one cut-short attempt in its own attempts record
(conversion_attempts, as if it had been guarded alone: at most one innocent neighbour is charged, as before)
and converts it alone, guarded by that record, before the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timezone
from typing import Any

from order_pipeline.aws import s3_objects
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.attempt_owner import AttemptOwner, current_owner
from order_pipeline.steps.lake.conversion_attempts import ConversionAttempts

log = logging.getLogger(__name__)

SUSPECTS = 2  # files converted at once by a lake step: convert_partition.PARALLEL_FILES


STEP_ATTEMPT_PREFIX = "_lake.attempt"


def step_attempt_key(layout: LakeLayout, dataset: Dataset, partition: str, attempt_id: str | None = None) -> str:
    """One object per step attempt (its run and process), so that overlapping runs of a date never overwrite or
    remove each other's; without `attempt_id`, the single object written before attempts had owners."""
    suffix = f".{attempt_id}" if attempt_id else ""
    return layout.conversions_folder(dataset.name, partition) + f"{STEP_ATTEMPT_PREFIX}{suffix}.json"


class StepAttempt:
    def __init__(
        self, s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, owner: AttemptOwner | None = None
    ) -> None:
        self.s3, self.layout, self.dataset, self.partition = s3, layout, dataset, partition
        self.owner = owner or current_owner()
        self.bucket = layout.bucket
        self.key = step_attempt_key(layout, dataset, partition, self.owner.attempt_id)

    def charge_cut_short(self, files: Sequence[FileVersion], listed: Collection[str]) -> list[FileVersion]:
        """For each earlier step attempt of the date that died (its object is `listed`, its owner dead: steps of
        overlapping runs in flight are left alone): the files it may have been converting charged one cut-short
        attempt each in their attempts records (once, however many steps charge it), then its object removed.
        Returns the files charged."""
        prefix = self.layout.conversions_folder(self.dataset.name, self.partition) + STEP_ATTEMPT_PREFIX
        charged: dict[str, FileVersion] = {}
        for key in sorted(k for k in listed if k.startswith(prefix) and k.endswith(".json") and k != self.key):
            for version in self._charge_one(key, files, listed):
                charged.setdefault(version.version_id, version)
        return list(charged.values())

    def _charge_one(self, key: str, files: Sequence[FileVersion], listed: Collection[str]) -> list[FileVersion]:
        try:
            document = json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except self.s3.exceptions.NoSuchKey:  # its step ended, or another step charged it meanwhile
            return []
        except ValueError:
            log.warning("unreadable lake step attempt %s: no file charged", key)
            document = {}
        owner = document.get("owner") if isinstance(document, dict) else None
        if not self.owner.is_dead(owner):
            return []  # a step of an overlapping run, in flight
        started = document.get("versions", []) if isinstance(document, dict) else []
        by_id = {f.version_id: f for f in files}
        unrecorded = [
            by_id[v]
            for v in started
            if v in by_id and self.layout.record_key(self.dataset.name, self.partition, by_id[v]) not in listed
        ]
        suspects = unrecorded[:SUSPECTS]
        for version in suspects:
            ConversionAttempts(self.s3, self.layout, self.dataset, self.partition, version, self.owner).charge(owner)
        self.s3.delete_object(Bucket=self.bucket, Key=key)
        return suspects

    def start(self, versions: Sequence[FileVersion]) -> None:
        body = {
            "versions": [v.version_id for v in versions],
            "started_at": datetime.now(timezone.utc).isoformat(),
            "owner": self.owner.to_json(),
        }
        s3_objects.put_bytes(self.s3, self.bucket, self.key, json.dumps(body).encode(), "application/json")

    def finish(self) -> None:
        """The step ended without killing the process (done, or raised: a retry is not a crash)."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except Exception as error:  # noqa: BLE001 - best effort: at worst its files are charged one attempt
            log.warning("could not clear the lake step attempt %s: %s", self.key, error)
