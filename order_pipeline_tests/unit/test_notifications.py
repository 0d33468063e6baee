import json

from order_pipeline.notifications import PipelineEvent


def test_message_is_json_with_event_type_and_details():
    event = PipelineEvent("partition_loaded", dataset="orders", partition="2026-11-20",
                          details={"rows_inserted": 5, "files": ["s3://b/k"]})
    body = json.loads(event.message())
    assert body["event_type"] == "partition_loaded"
    assert body["rows_inserted"] == 5 and body["partition"] == "2026-11-20"
    assert event.subject == "Loaded orders partition 2026-11-20"


def test_event_type_is_a_filterable_message_attribute():
    attributes = PipelineEvent("run_failed", asset="warehouse/orders").message_attributes()
    assert attributes["event_type"] == {"DataType": "String", "StringValue": "run_failed"}


def test_subject_fits_sns_limit():
    event = PipelineEvent("check_failed", asset="x" * 300, partition="2026-11-20")
    assert len(event.subject) <= 100
