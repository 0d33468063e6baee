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
from order_pipeline.steps.lake.conversion_attempts import ConversionAttempts

log = logging.getLogger(__name__)

SUSPECTS = 2  # files converted at once by a lake step: convert_partition.PARALLEL_FILES


def step_attempt_key(layout: LakeLayout, dataset: Dataset, partition: str) -> str:
    return layout.conversions_folder(dataset.name, partition) + "_lake.attempt.json"


class StepAttempt:
    def __init__(self, s3: Any, layout: LakeLayout, dataset: Dataset, partition: str) -> None:
        self.s3, self.layout, self.dataset, self.partition = s3, layout, dataset, partition
        self.bucket, self.key = layout.bucket, step_attempt_key(layout, dataset, partition)

    def charge_cut_short(self, files: Sequence[FileVersion], listed: Collection[str]) -> list[FileVersion]:
        """When an earlier step died (its object is `listed`): the files it may have been converting charged one
        cut-short attempt each (written to their attempts records), then its object removed. Returns them."""
        if self.key not in listed:
            return []
        try:
            started = json.loads(self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read())["versions"]
        except self.s3.exceptions.NoSuchKey:
            return []
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable lake step attempt %s: no file charged", self.key)
            started = []
        by_id = {f.version_id: f for f in files}
        unrecorded = [
            by_id[v]
            for v in started
            if v in by_id and self.layout.record_key(self.dataset.name, self.partition, by_id[v]) not in listed
        ]
        suspects = unrecorded[:SUSPECTS]
        for version in suspects:
            guard = ConversionAttempts(self.s3, self.layout, self.dataset, self.partition, version)
            known = self.layout.attempts_key(self.dataset.name, self.partition, version) in listed
            guard.start(guard.cut_short() if known else 0)
        self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        return suspects

    def start(self, versions: Sequence[FileVersion]) -> None:
        body = {
            "versions": [v.version_id for v in versions],
            "started_at": datetime.now(timezone.utc).isoformat(),
        }
        s3_objects.put_bytes(self.s3, self.bucket, self.key, json.dumps(body).encode(), "application/json")

    def finish(self) -> None:
        """The step ended without killing the process (done, or raised: a retry is not a crash)."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except Exception as error:  # noqa: BLE001 - best effort: at worst its files are charged one attempt
            log.warning("could not clear the lake step attempt %s: %s", self.key, error)
