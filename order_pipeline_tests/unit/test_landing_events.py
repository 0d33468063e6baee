"""S3 event notifications as SQS delivers them, parsed (the shapes S3 and SNS really send)."""

import json

from order_pipeline.landing.events import parse_message


def record(key: str, name: str = "ObjectCreated:Put", bucket: str = "b") -> dict:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": "2026-11-28T13:55:44.430Z",
        "eventName": name,
        "s3": {
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": key, "size": 2, "eTag": "99914b932bd37a50b983c5e7c90ae93b"},
        },
    }


def test_keys_are_url_decoded_spaces_plus_and_unicode():
    body = json.dumps(
        {
            "Records": [
                record("landing/orders/2026/11/20/a+b%2B%C3%BC.jsonl"),
                record("landing%2Forders%2Fdt%3D2026-11-20%2Fc.jsonl"),
            ]
        }
    )  # moto encodes '/'
    parsed = parse_message(body)
    assert [c.key for c in parsed.created] == [
        "landing/orders/2026/11/20/a b+ü.jsonl",
        "landing/orders/dt=2026-11-20/c.jsonl",
    ]
    first = parsed.created[0]
    assert (first.bucket, first.etag, first.size, first.event_time.isoformat()) == (
        "b",
        "99914b932bd37a50b983c5e7c90ae93b",
        2,
        "2026-11-28T13:55:44.430000+00:00",
    )


def test_test_event_and_removals_are_understood_and_ignored():
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"})
    assert parse_message(test_event).ignored == ("s3:TestEvent",) and not parse_message(test_event).created
    removed = parse_message(json.dumps({"Records": [record("landing/orders/x.jsonl", "ObjectRemoved:Delete")]}))
    assert removed.created == () and removed.ignored == ("ObjectRemoved:Delete s3://b/landing/orders/x.jsonl",)


def test_events_through_an_sns_topic_are_unwrapped():
    inner = json.dumps({"Records": [record("landing/orders/2026/11/20/a.jsonl")]})
    envelope = json.dumps({"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": inner})
    assert [c.key for c in parse_message(envelope).created] == ["landing/orders/2026/11/20/a.jsonl"]


def test_unreadable_messages_are_malformed_not_ignored():
    assert parse_message("not json").malformed.startswith("not JSON")
    assert parse_message("[1, 2]").malformed == "not a JSON object"
    assert "neither an S3 event" in parse_message(json.dumps({"hello": "world"})).malformed
    broken = record("k")
    del broken["s3"]["object"]["key"]
    assert "without 'key'" in parse_message(json.dumps({"Records": [broken]})).malformed
