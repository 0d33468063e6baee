"""Thin helpers over a boto3 SQS client: receive a bounded batch, acknowledge (delete) by receipt handle.

Both work with a few concurrent callers (boto3 clients are thread-safe): a tick of 1,000 messages is 100
ReceiveMessage calls, and at SQS's round-trip latency sequential calls would take seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SQS_BATCH = 10  # ReceiveMessage and DeleteMessageBatch take at most 10 messages
RECEIVERS = 4


def queue_url(client: Any, name: str) -> str:
    return client.get_queue_url(QueueName=name)["QueueUrl"]


def receive(
    client: Any, url: str, *, max_messages: int, wait_seconds: int, visibility_seconds: int, receivers: int = RECEIVERS
) -> list[dict]:
    """About `max_messages` messages (concurrent callers may overshoot by less than `receivers` batches: a received
    message is kept, never dropped). The first call long-polls (it returns as soon as anything is there); then
    `receivers` callers drain the queue until one gets an empty answer, so a tick never waits once it is empty.
    Received messages stay invisible for `visibility_seconds`."""

    def call(count: int, wait: int) -> list[dict]:
        return client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait,
            VisibilityTimeout=visibility_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])

    messages = call(min(SQS_BATCH, max_messages), wait_seconds)
    if not messages or len(messages) >= max_messages:
        return messages
    lock = threading.Lock()
    drained = threading.Event()

    def drain() -> None:
        while not drained.is_set():
            with lock:
                wanted = min(SQS_BATCH, max_messages - len(messages))
                if wanted <= 0:
                    return
            batch = call(wanted, 0)
            with lock:
                if not batch:
                    drained.set()
                messages.extend(batch)

    with ThreadPoolExecutor(max_workers=receivers) as pool:
        for future in [pool.submit(drain) for _ in range(receivers)]:
            future.result()
    return messages


def delete(client: Any, url: str, receipt_handles: Sequence[str], *, workers: int = RECEIVERS) -> list[str]:
    """Delete messages by receipt handle; returns the error of each handle SQS refused (e.g. expired)."""

    def delete_chunk(chunk: Sequence[str]) -> list[str]:
        response = client.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": handle} for n, handle in enumerate(chunk)]
        )
        return [f"{f.get('Code')}: {f.get('Message')}" for f in response.get("Failed", ())]

    chunks = [receipt_handles[start : start + SQS_BATCH] for start in range(0, len(receipt_handles), SQS_BATCH)]
    if len(chunks) <= 1:
        return [failure for chunk in chunks for failure in delete_chunk(chunk)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [failure for failures in pool.map(delete_chunk, chunks) for failure in failures]
