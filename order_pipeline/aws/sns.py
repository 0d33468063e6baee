"""Publishing pipeline events to an SNS topic. A failed publish is logged, never raised: it must not fail a load."""

from __future__ import annotations

import logging
from typing import Any

from order_pipeline.notifications import PipelineEvent

log = logging.getLogger(__name__)


def publish_event(client: Any, topic_arn: str | None, event: PipelineEvent) -> str | None:
    """Publish `event`; returns the SNS message id, or None when there is no topic or publishing failed."""
    if not topic_arn:
        return None
    message = event.message()  # cut to fit SNS's limit, so that a huge rejected record still gets announced
    try:
        response = client.publish(
            TopicArn=topic_arn, Subject=event.subject, Message=message, MessageAttributes=event.message_attributes()
        )
    except Exception as error:  # noqa: BLE001 - notification failures are reported, never fatal
        log.warning(
            "could not publish %s (%d bytes) to %s: %s",
            event.event_type,
            len(message.encode()),
            topic_arn,
            type(error).__name__,
        )
        return None
    return response.get("MessageId")
