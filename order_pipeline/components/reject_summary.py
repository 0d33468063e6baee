"""What a notification says of a rejected record (issue 20 item 6): where it is and why, never its content.

SNS subscribers (e-mail) are not where customer data belongs: the raw record stays in the quarantine object the
notification links to (`rejects`)."""

from __future__ import annotations

from typing import Any

SHOWN_KEYS = ("record", "line", "field", "reason")


def reject_summary(report: dict[str, Any]) -> dict[str, Any]:
    """A reject report without its raw record: record number, line, field and reason."""
    return {key: report[key] for key in SHOWN_KEYS if key in report}
