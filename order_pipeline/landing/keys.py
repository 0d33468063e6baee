"""Where files land and which partition they belong to. Pure: no boto3, no Dagster.

The landing layout: `<root>/YYYY/MM/DD/…` or `<root>/dt=YYYY-MM-DD/…` is dated by its folder; every other key
(top-level files, other folders, month-only or impossible dates such as `2026/13/45/`) is *undated* and belongs
to its LastModified date in UTC. Nothing is ignored but folder markers (keys ending in `/`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

_SLASH_DATE = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")
_DT_DATE = re.compile(r"(?:^|/)dt=(\d{4})-(\d{2})-(\d{2})(?:/|$)")


@dataclass(frozen=True)
class FileVersion:
    """One version of one S3 object: a re-written object (new ETag) is a new file version."""

    bucket: str
    key: str
    etag: str
    size: int
    last_modified: datetime

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def version_id(self) -> str:
        """`key@etag`: what the sensor and the ledger compare."""
        return f"{self.key}@{self.etag}"

    @property
    def short_id(self) -> str:
        """A short stable name for derived objects (lake Parquet, quarantine copies) of this version."""
        return hashlib.sha256(self.version_id.encode()).hexdigest()[:12]


def date_in_key(key: str) -> date | None:
    """The landing date written into a key as `YYYY/MM/DD/` or `dt=YYYY-MM-DD/`, if any."""
    for pattern in (_DT_DATE, _SLASH_DATE):
        match = pattern.search(key)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def partition_of(key: str, last_modified: datetime) -> str:
    """The partition (landing date) of an object: the date in its key, else its LastModified date in UTC."""
    found = date_in_key(key)
    if found is None:
        found = last_modified.astimezone(timezone.utc).date()
    return found.isoformat()


def date_prefixes(landing_prefix: str, day: date) -> tuple[str, str]:
    """The two key prefixes a landing date may be written under."""
    base = landing_prefix.rstrip("/") + "/"
    return (f"{base}{day:%Y/%m/%d}/", f"{base}dt={day.isoformat()}/")


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def is_hidden(key: str) -> bool:
    """Folder markers and hidden or temporary files are not landing files."""
    name = key.rsplit("/", 1)[-1]
    return not name or name.startswith((".", "_"))


def folder_date(segment: str) -> date | None:
    """The date of a `dt=YYYY-MM-DD` folder name, if it is one and the date exists."""
    match = re.fullmatch(r"dt=(\d{4})-(\d{2})-(\d{2})", segment)
    return _valid_date(int(match[1]), int(match[2]), int(match[3])) if match else None


def year_folder(segment: str) -> int | None:
    return int(segment) if re.fullmatch(r"\d{4}", segment) else None


def month_folder(segment: str) -> int | None:
    return int(segment) if re.fullmatch(r"\d{2}", segment) and 1 <= int(segment) <= 12 else None


def day_folder(year: int, month: int, segment: str) -> date | None:
    return _valid_date(year, month, int(segment)) if re.fullmatch(r"\d{2}", segment) else None


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def version_digest(versions: Iterable[FileVersion]) -> str:
    """A short digest of a set of file versions (order-insensitive): what cursors and run keys compare."""
    text = "\n".join(sorted(v.version_id for v in versions))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_folder_marker(key: str) -> bool:
    """A zero-length 'folder' object some tools create: `…/2026/11/20/`. Never a landing file."""
    return key.endswith("/")
