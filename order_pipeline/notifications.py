"""Pipeline events as notification messages: one JSON message per event, pure (no boto3 here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

EventType = Literal[
    "partition_loaded", "file_quarantined", "records_rejected", "file_dead_lettered", "run_failed", "check_failed",
    "files_unloaded",
]

_SUBJECTS: dict[str, str] = {
    "partition_loaded": "Loaded {dataset} partition {partition}",
    "file_quarantined": "Quarantined a {dataset} file in {partition}",
    "records_rejected": "Rejected {dataset} records in {partition}",
    "file_dead_lettered": "Dead-lettered a {dataset} file in {partition}",
    "run_failed": "Run failed: {asset} {partition}",
    "check_failed": "Check failed: {asset} {partition}",
    "files_unloaded": "Landed {dataset} files still not loaded in {partition}",
}


@dataclass(frozen=True)
class PipelineEvent:
    event_type: EventType
    dataset: str = ""
    partition: str = ""
    asset: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def subject(self) -> str:
        text = _SUBJECTS[self.event_type].format(dataset=self.dataset or "dataset", partition=self.partition or "",
                                                 asset=self.asset or "asset")
        return text.strip()[:100]  # SNS subjects are limited to 100 characters

    def message(self) -> str:
        body = {"event_type": self.event_type, "dataset": self.dataset, "partition": self.partition,
                "asset": self.asset, "at": self.at.isoformat(), **self.details}
        return json.dumps(body, default=str, sort_keys=True)

    def message_attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes: subscribers filter on event_type (e.g. email only failures)."""
        attributes = {"event_type": {"DataType": "String", "StringValue": self.event_type}}
        if self.dataset:
            attributes["dataset"] = {"DataType": "String", "StringValue": self.dataset}
        return attributes
