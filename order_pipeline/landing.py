"""Where files land and which partition they belong to. Pure: no boto3, no Dagster."""

from __future__ import annotations

import hashlib
import re
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
