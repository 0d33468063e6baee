"""What the S3 sensor remembers and decides, without Dagster or boto3: pure and unit-tested.

The cursor holds the last landing date scanned and the key@ETag of every file seen inside the lookback
window. Each tick lists only the date prefixes from (cursor date - lookback) to today, so its cost follows
the window, not the bucket's history; a re-written object (new ETag) counts as a new file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from order_pipeline.landing import FileVersion, days_between, partition_of


@dataclass(frozen=True)
class ScanCursor:
    through: date | None = None  # the latest landing date covered by the last tick
    seen: dict[str, str] = field(default_factory=dict)  # key -> ETag, for files inside the window

    def to_json(self) -> str:
        return json.dumps({"v": 1, "through": self.through.isoformat() if self.through else None,
                           "seen": dict(sorted(self.seen.items()))}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> ScanCursor:
        if not text:
            return cls()
        data = json.loads(text)
        through = data.get("through")
        return cls(through=date.fromisoformat(through) if through else None, seen=dict(data.get("seen", {})))


def scan_window(cursor: ScanCursor, today: date, lookback_days: int, first_day: date) -> list[date]:
    """The landing dates to list this tick: from the cursor's date minus the lookback, up to today."""
    anchor = cursor.through or today
    start = max(first_day, min(anchor, today) - timedelta(days=lookback_days))
    return days_between(start, today) if start <= today else []


@dataclass(frozen=True)
class ScanPlan:
    new_by_partition: dict[str, list[FileVersion]]
    cursor: ScanCursor

    def run_key(self, partition: str) -> str:
        return run_key_for(partition, self.new_by_partition[partition])


def run_key_for(partition: str, files: Iterable[FileVersion]) -> str:
    digest = hashlib.sha256("\n".join(sorted(f.version_id for f in files)).encode()).hexdigest()[:16]
    return f"{partition}:{digest}"


def plan_scan(cursor: ScanCursor, listed: Iterable[FileVersion], window: list[date]) -> ScanPlan:
    """New file versions among `listed`, grouped by partition, and the cursor to store with their runs."""
    window_days = {day.isoformat() for day in window}
    seen: dict[str, str] = {}
    new: dict[str, list[FileVersion]] = {}
    for version in listed:
        partition = partition_of(version.key, version.last_modified)
        if partition not in window_days:
            continue
        if cursor.seen.get(version.key) != version.etag:
            new.setdefault(partition, []).append(version)
        seen[version.key] = version.etag
    # only keys listed inside the window are remembered (older ones left it): the cursor stays small
    through = max(window) if window else cursor.through
    return ScanPlan(new_by_partition=dict(sorted(new.items())), cursor=ScanCursor(through=through, seen=seen))
