import pytest

from order_pipeline.commands.replay import ReplayError, records_from_rejects, replay_key
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders import ORDERS

SETTINGS = load_settings({"ORDER_PIPELINE_BUCKET": "b"})


def test_replay_key_keeps_partition_and_is_deterministic():
    uri = "s3://b/quarantine/orders/dt=2026-11-20/bad.jsonl.abc123.rejects.jsonl"
    key, partition = replay_key(SETTINGS.layout, ORDERS, uri)
    assert partition == "2026-11-20"
    assert key == "landing/orders/dt=2026-11-20/replay-bad.jsonl.abc123.jsonl"
    assert replay_key(SETTINGS.layout, ORDERS, uri) == (key, partition)


def test_replay_key_needs_a_partition():
    with pytest.raises(ReplayError, match="cannot tell its partition"):
        replay_key(SETTINGS.layout, ORDERS, "s3://b/somewhere/file.json")


def test_records_from_rejects_keeps_raw_records():
    content = (
        b'{"record": 1, "reason": "x", "raw": {"order_id": "A"}}\n\n{"record": 2, "raw": "{\\"order_id\\": \\"B\\"}"}\n'
    )
    assert records_from_rejects(content, "s3://b/r") == b'{"order_id":"A"}\n{"order_id": "B"}\n'


def test_records_from_rejects_names_the_bad_line():
    with pytest.raises(ReplayError, match="s3://b/r line 1"):
        records_from_rejects(b"not json\n", "s3://b/r")
