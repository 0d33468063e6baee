"""Pipeline events as notification messages: one JSON message per event, pure (no boto3 here).

A message always fits in one SNS publish (256 KB): long text in the details (a rejected record's raw line can
be megabytes) is cut, with its size noted, and long lists are shortened, until the message fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

EventType = Literal[
    "partition_loaded",
    "file_quarantined",
    "records_rejected",
    "file_dead_lettered",
    "run_failed",
    "check_failed",
    "files_unloaded",
    "schema_drift",
    "lag_exceeded",
]

_SUBJECTS: dict[str, str] = {
    "partition_loaded": "Loaded {dataset} partition {partition}",
    "file_quarantined": "Quarantined a {dataset} file in {partition}",
    "records_rejected": "Rejected {dataset} records in {partition}",
    "file_dead_lettered": "Dead-lettered a {dataset} file in {partition}",
    "run_failed": "Run failed: {asset} {partition}",
    "check_failed": "Check failed: {asset} {partition}",
    "files_unloaded": "Landed {dataset} files still not loaded in {partition}",
    "schema_drift": "New undeclared {dataset} fields in {partition}",
    "lag_exceeded": "{dataset} files of {partition} loaded later than the lag SLA",
}

SNS_MAX_BYTES = 256 * 1024  # an SNS message, attributes and subject included
MAX_MESSAGE_BYTES = 200 * 1024  # what the JSON body may take, leaving room for the rest
_LIMITS = ((2000, 200), (500, 50), (120, 10), (40, 3))  # (characters per text, items per list), tried in order


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    size = len(text.encode("utf-8", "replace"))
    return f"{text[:limit]}… [truncated: {size} bytes in all]"


def _bounded(value: Any, chars: int, items: int) -> Any:
    """`value` with every text cut to `chars` characters and every list to `items` items (noted when cut)."""
    if isinstance(value, str):
        return _clip(value, chars)
    if isinstance(value, dict):
        return {_clip(str(key), chars): _bounded(child, chars, items) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        kept = [_bounded(child, chars, items) for child in value[:items]]
        if len(value) > items:
            kept.append(f"… and {len(value) - items} more")
        return kept
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _clip(str(value), chars)


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, default=str, sort_keys=True)


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
        text = _SUBJECTS[self.event_type].format(
            dataset=self.dataset or "dataset", partition=self.partition or "", asset=self.asset or "asset"
        )
        return text.strip()[:100]  # SNS subjects are limited to 100 characters

    def message(self, max_bytes: int = MAX_MESSAGE_BYTES) -> str:
        """The event as JSON, at most `max_bytes` long in UTF-8."""
        head = {
            "event_type": self.event_type,
            "dataset": self.dataset,
            "partition": self.partition,
            "asset": self.asset,
            "at": self.at.isoformat(),
        }
        text = _dumps({**head, **self.details})
        if len(text.encode()) <= max_bytes:
            return text
        for chars, items in _LIMITS:
            text = _dumps({**head, **_bounded(self.details, chars, items), "truncated": True})
            if len(text.encode()) <= max_bytes:
                return text
        # Too many details even when cut hard: keep only the scalar ones.
        scalars = {k: v for k, v in self.details.items() if v is None or isinstance(v, (bool, int, float))}
        text = _dumps({**head, **_bounded(scalars, 40, 3), "truncated": True, "details_dropped": True})
        if len(text.encode()) <= max_bytes:
            return text
        return _dumps({**_bounded(head, 40, 3), "truncated": True, "details_dropped": True})

    def message_attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes: subscribers filter on event_type (e.g. email only failures)."""
        attributes = {"event_type": {"DataType": "String", "StringValue": self.event_type}}
        if self.dataset:
            attributes["dataset"] = {"DataType": "String", "StringValue": self.dataset}
        return attributes
