"""A real boto3 S3 client whose requests are counted by operation, through botocore's event hooks: tests of what
a step costs in S3 requests (no mock, the requests still reach the endpoint)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3


def counting_s3_client(**client_options: Any) -> tuple[Any, Counter]:
    """A client (`client_options` passed to boto3.client) and the Counter of its requests by operation name (e.g.
    "GetObject")."""
    client, calls = boto3.client("s3", **client_options), Counter()
    client.meta.events.register("before-call.s3.*", lambda event_name, **_: calls.update([event_name.split(".")[-1]]))
    return client, calls
