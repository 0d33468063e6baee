"""Thin helpers over a boto3 SQS client: receive a bounded batch, acknowledge (delete) by receipt handle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SQS_BATCH = 10  # ReceiveMessage and DeleteMessageBatch take at most 10 messages


def queue_url(client: Any, name: str) -> str:
    return client.get_queue_url(QueueName=name)["QueueUrl"]


def receive(client: Any, url: str, *, max_messages: int, wait_seconds: int, visibility_seconds: int) -> list[dict]:
    """Up to `max_messages` messages. The first call long-polls; later calls stop at the first empty answer, so a
    tick does not wait once the queue is drained. Received messages stay invisible for `visibility_seconds`."""
    messages: list[dict] = []
    while len(messages) < max_messages:
        response = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(SQS_BATCH, max_messages - len(messages)),
            WaitTimeSeconds=wait_seconds if not messages else 0, VisibilityTimeout=visibility_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"])
        batch = response.get("Messages", [])
        if not batch:
            break
        messages.extend(batch)
    return messages


def delete(client: Any, url: str, receipt_handles: Sequence[str]) -> list[str]:
    """Delete messages by receipt handle; returns the error of each handle SQS refused (e.g. expired)."""
    failures: list[str] = []
    for start in range(0, len(receipt_handles), SQS_BATCH):
        chunk = receipt_handles[start : start + SQS_BATCH]
        response = client.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": handle} for n, handle in enumerate(chunk)])
        failures.extend(f"{f.get('Code')}: {f.get('Message')}" for f in response.get("Failed", ()))
    return failures
