"""The schema state of a dataset in the lake (datasets/evolution.py): one small JSON object per dataset,
`<lake prefix>/_schemas/<dataset>.json`, updated with S3 conditional writes so that two runs seeing new columns
at once neither lose an update nor report a column twice.

A store keeps the state it last read or wrote (one lake step's files share a store): a file with nothing new
costs no request, and a state changed meanwhile by another run is read again when our conditional write is
refused, so a stale copy never decides what is new."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.datasets.evolution import (
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_PATHS,
    Observation,
    SchemaState,
    observe,
)
from order_pipeline.layout import LakeLayout

MAX_UPDATE_ATTEMPTS = 8
_CONFLICTS = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


class SchemaStateStore:
    def __init__(self, s3: Any, layout: LakeLayout, dataset: Dataset) -> None:
        self.s3, self.bucket, self.dataset = s3, layout.bucket, dataset
        self.key = layout.schema_state_key(dataset.name)
        self._known: tuple[SchemaState, str | None] | None = None  # the state last read or written, its ETag
        self._lock = threading.Lock()  # the files of a step are converted on several threads

    def load(self) -> tuple[SchemaState, str | None]:
        """The state and its ETag (None: no state yet), read from S3."""
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except self.s3.exceptions.NoSuchKey:
            self._known = (SchemaState(), None)
            return self._known
        try:
            self._known = (SchemaState.from_json(found["Body"].read()), found["ETag"])
            return self._known
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"s3://{self.bucket}/{self.key}: unreadable schema state ({error}); fix or remove "
                "it (removing it reports undeclared fields again and forgets evolved columns)"
            ) from error

    def _current(self) -> tuple[SchemaState, str | None]:
        return self._known if self._known is not None else self.load()

    def effective(self) -> Dataset:
        """The dataset with the columns schema evolution added so far (as this store last saw them)."""
        with self._lock:
            state, _ = self._current()
        return self.dataset.with_evolved(state.columns_for(self.dataset))

    def update(self, change: Callable[[SchemaState], Observation]) -> Observation:
        """Apply `change` to the current state and store the result only if nothing changed it meanwhile.
        The first try works on the state this store knows; a refused write reads the state again."""
        with self._lock:
            state, etag = self._current()
            for _ in range(MAX_UPDATE_ATTEMPTS):
                result = change(state)
                if result.state == state:
                    return result
                condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
                try:
                    written = self.s3.put_object(
                        Bucket=self.bucket,
                        Key=self.key,
                        Body=result.state.to_json(),
                        ContentType="application/json",
                        **condition,
                    )
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") not in _CONFLICTS:
                        raise
                    state, etag = self.load()
                    continue
                self._known = (result.state, written.get("ETag"))
                return result
        raise RuntimeError(
            f"s3://{self.bucket}/{self.key}: the schema state kept changing during "
            f"{MAX_UPDATE_ATTEMPTS} attempts to update it"
        )

    def observe(
        self,
        fields: list[tuple[str, Any, bool]],
        first_seen: str,
        max_paths: int = DEFAULT_MAX_PATHS,
        max_columns: int = DEFAULT_MAX_COLUMNS,
    ) -> tuple[Dataset, Observation]:
        """Record undeclared `fields` (path, Arrow type, top level) seen in `first_seen`; returns the dataset as
        the file is to be converted (evolved columns included) and what was new. The caps: evolution.observe."""
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result = self.update(lambda state: observe(state, self.dataset, fields, first_seen, at, max_paths, max_columns))
        return self.dataset.with_evolved(result.state.columns_for(self.dataset)), result
