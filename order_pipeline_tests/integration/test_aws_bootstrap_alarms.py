"""`order-pipeline aws bootstrap` keeps the CloudWatch alarms and the e-mail subscription (issue 21, item 4), against
the local endpoint (moto serves CloudWatch alarms and e-mail subscriptions): shown by --dry-run, created once, a
second run reports no changes, a changed SLA updates the lag alarm; no namespace, no alarms."""

from __future__ import annotations

import uuid

import boto3
import pytest

from order_pipeline.cli import main
from order_pipeline.config import load_settings

EMAIL = "oncall@example.com"


@pytest.fixture
def settings(aws_endpoint, monkeypatch):
    name = f"alarm-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ORDER_PIPELINE_BUCKET", name)
    monkeypatch.setenv("ORDER_PIPELINE_QUEUE_PREFIX", name)
    monkeypatch.setenv("ORDER_PIPELINE_CLOUDWATCH_NAMESPACE", f"OrderPipeline/{name}")
    monkeypatch.setenv("ORDER_PIPELINE_MAX_LAG_MINUTES", "90")
    monkeypatch.delenv("ORDER_PIPELINE_SNS_TOPIC_ARN", raising=False)
    return load_settings()


def bootstrap_output(capsys, *arguments: str) -> str:
    capsys.readouterr()
    assert main(["aws", "bootstrap", *arguments]) == 0
    return capsys.readouterr().out


def our_alarms(settings) -> dict[str, dict]:
    response = boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix=settings.queue_prefix)
    return {alarm["AlarmName"]: alarm for alarm in response["MetricAlarms"]}


def email_subscriptions(topic_arn: str) -> list[dict]:
    found = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return [s for s in found if s["Protocol"] == "email"]


def test_alarms_and_the_email_subscription_are_shown_by_dry_run_created_once_then_unchanged(settings, capsys):
    prefix, topic = settings.queue_prefix, f"arn:aws:sns:us-east-1:123456789012:{settings.queue_prefix}-events"
    unloaded, lag = f"{prefix}-orders-files-unloaded", f"{prefix}-orders-lag-above-sla"

    planned = bootstrap_output(capsys, "--dry-run", "--email", EMAIL)
    assert f"create     cloudwatch alarm {unloaded}" in planned and f"create     cloudwatch alarm {lag}" in planned
    assert f"create     sns e-mail subscription {EMAIL} -> {topic}" in planned
    assert our_alarms(settings) == {}  # the dry run created nothing

    first = bootstrap_output(capsys, "--email", EMAIL)
    assert "9 change(s)" in first, first  # bucket, topic key, topic, 2 queues, notification, 2 alarms, subscription
    alarms = our_alarms(settings)
    assert set(alarms) == {unloaded, lag}
    assert {
        k: alarms[unloaded][k]
        for k in ("Namespace", "MetricName", "Statistic", "Period", "EvaluationPeriods", "Threshold")
    } == {
        "Namespace": settings.cloudwatch_namespace,
        "MetricName": "FilesUnloaded",
        "Statistic": "Minimum",
        "Period": 3600,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
    }
    assert alarms[unloaded]["ComparisonOperator"] == alarms[lag]["ComparisonOperator"] == "GreaterThanThreshold"
    assert {(d["Name"], d["Value"]) for d in alarms[unloaded]["Dimensions"]} == {
        ("Dataset", "orders"),
        ("Source", "reconcile"),
    }
    assert (alarms[lag]["MetricName"], alarms[lag]["Statistic"], alarms[lag]["Threshold"]) == (
        "LagSeconds",
        "Maximum",
        90 * 60.0,
    )
    assert {(d["Name"], d["Value"]) for d in alarms[lag]["Dimensions"]} == {("Dataset", "orders"), ("Source", "load")}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    assert [s["Endpoint"] for s in email_subscriptions(topic)] == [EMAIL]

    second = bootstrap_output(capsys, "--email", EMAIL)
    assert second.strip().endswith("no changes: everything is as wanted") and "create" not in second, second
    assert f"unchanged  sns e-mail subscription {EMAIL}" in second
    assert len(email_subscriptions(topic)) == 1 and set(our_alarms(settings)) == {unloaded, lag}


def test_a_changed_sla_updates_the_lag_alarm_only(settings, capsys, monkeypatch):
    bootstrap_output(capsys)
    monkeypatch.setenv("ORDER_PIPELINE_MAX_LAG_MINUTES", "30")

    changed = bootstrap_output(capsys)

    lag = f"{settings.queue_prefix}-orders-lag-above-sla"
    assert f"update     cloudwatch alarm {lag}  (AlarmDescription, Threshold)" in changed, changed
    assert "1 change(s)" in changed
    assert our_alarms(settings)[lag]["Threshold"] == 30 * 60.0


def test_without_a_namespace_bootstrap_sets_no_alarms(settings, capsys, monkeypatch):
    monkeypatch.delenv("ORDER_PIPELINE_CLOUDWATCH_NAMESPACE")
    out = bootstrap_output(capsys)
    assert "cloudwatch alarm" not in out and our_alarms(settings) == {}
