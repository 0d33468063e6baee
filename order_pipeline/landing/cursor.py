"""What the landing sensors remember between ticks, as small JSON documents.

The landing sensor's cursor grows with the number of dates it watches, never with the number of files: a
listing tick keeps one digest of key@ETag per date in its window, and the ledger in the warehouse, not the
cursor, decides what a run loads. In events mode the cursor names the S3 object holding the receipt handles of
the messages whose run requests it commits; the next tick deletes those messages (acknowledges them) — only
once this cursor is durably stored. (Handles are up to 1 KB each: a thousand of them do not belong in a cursor
the instance stores with every tick.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

CURSOR_VERSION = 2


@dataclass(frozen=True)
class LandingCursor:
    discovered: bool = False  # the first-tick discovery of every landing date has run
    backlog: tuple[str, ...] = ()  # discovered partitions still to compare with the ledger, next first
    through: str | None = None  # listing: the latest landing date the last tick covered
    digests: dict[str, str] = field(default_factory=dict)  # listing: partition -> digest of its files
    pending_acks: str | None = None  # events: S3 key of the receipt handles to delete on the next tick

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": CURSOR_VERSION,
                "discovered": self.discovered,
                "backlog": list(self.backlog),
                "through": self.through,
                "digests": dict(sorted(self.digests.items())),
                "pending_acks": self.pending_acks,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        """An empty or older cursor starts over with discovery: the ledger keeps that from loading twice."""
        if not text:
            return cls()
        data = json.loads(text)
        if data.get("v") != CURSOR_VERSION:
            return cls(through=data.get("through"))
        return cls(
            discovered=bool(data.get("discovered")),
            backlog=tuple(data.get("backlog", ())),
            through=data.get("through"),
            digests=dict(data.get("digests", {})),
            pending_acks=data.get("pending_acks"),
        )


@dataclass(frozen=True)
class ReconcileCursor:
    """Per partition with unloaded files: the digest of what is missing and how many ticks it has been missing."""

    missing: dict[str, tuple[str, int]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"v": CURSOR_VERSION, "missing": {p: list(v) for p, v in sorted(self.missing.items())}},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> ReconcileCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(missing={p: (str(v[0]), int(v[1])) for p, v in data.get("missing", {}).items()})
