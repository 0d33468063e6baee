"""S3 event notifications as SQS delivers them: parsed into the objects they announce. Pure.

Handles the shapes S3 sends straight to a queue and through an SNS topic, `s3:TestEvent` (sent when a
notification is configured), removals, and URL-encoded keys (S3 encodes keys in events: spaces as `+`,
unicode as %-escapes). A message that cannot be read is reported as malformed: the sensor leaves it
unacknowledged, so after the queue's maxReceiveCount it moves to the dead-letter queue for an operator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str  # decoded
    etag: str
    size: int
    event_time: datetime


@dataclass(frozen=True)
class ParsedMessage:
    created: tuple[ObjectCreated, ...] = ()
    ignored: tuple[str, ...] = ()  # understood and nothing to load: why, one entry per record
    malformed: str | None = None  # could not be read: left for the dead-letter queue


def parse_message(body: str) -> ParsedMessage:
    try:
        document = json.loads(body)
        if isinstance(document, dict) and document.get("Type") == "Notification" and "Message" in document:
            document = json.loads(document["Message"])  # S3 -> SNS -> SQS (not raw delivery)
    except (TypeError, ValueError) as error:
        return ParsedMessage(malformed=f"not JSON: {error}")
    if not isinstance(document, dict):
        return ParsedMessage(malformed="not a JSON object")
    if document.get("Event") == "s3:TestEvent":
        return ParsedMessage(ignored=("s3:TestEvent",))
    records = document.get("Records")
    if not isinstance(records, list):
        return ParsedMessage(malformed="neither an S3 event (Records) nor s3:TestEvent")
    created: list[ObjectCreated] = []
    ignored: list[str] = []
    for record in records:
        try:
            name = str(record["eventName"])
            bucket = str(record["s3"]["bucket"]["name"])
            obj = record["s3"]["object"]
            key = unquote_plus(str(obj["key"]))
            if not name.startswith("ObjectCreated:"):
                ignored.append(f"{name} s3://{bucket}/{key}")
                continue
            created.append(
                ObjectCreated(
                    bucket=bucket,
                    key=key,
                    etag=str(obj.get("eTag", "")).strip('"'),
                    size=int(obj.get("size", 0)),
                    event_time=datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            return ParsedMessage(malformed=f"S3 event record without {error}")
    return ParsedMessage(created=tuple(created), ignored=tuple(ignored))
