"""The CloudWatch alarms and the e-mail subscription `order-pipeline aws bootstrap` keeps (issue 21, item 4).

Per dataset, on the metrics of aws/cloudwatch_metrics.py, both notifying the pipeline's SNS topic on ALARM and OK:
- `<prefix>-<dataset>-files-unloaded`: FilesUnloaded of the reconcile above 0 for an hour: the *minimum* over one
  hour, so every reconcile of that hour found a landed file not loaded past the reconcile's minimum age. An hour
  without a reconcile keeps the alarm's state (missing data).
- `<prefix>-<dataset>-lag-above-sla`: LagSeconds of the loads above ORDER_PIPELINE_MAX_LAG_MINUTES in a 5-minute
  period (a load brought a file later than the SLA); no load: not breaching.
Like the rest of bootstrap: an alarm is created when missing, updated when any wanted field differs, otherwise left;
`dry_run` only reports. The e-mail address is subscribed once (AWS sends it a confirmation to accept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from order_pipeline.aws.bootstrap_change import Action, Change
from order_pipeline.aws.cloudwatch_metrics import dimensions

UNLOADED_PERIOD_SECONDS = 3600
LAG_PERIOD_SECONDS = 300


@dataclass(frozen=True)
class Monitoring:
    namespace: str  # ORDER_PIPELINE_CLOUDWATCH_NAMESPACE
    max_lag_seconds: int  # ORDER_PIPELINE_MAX_LAG_MINUTES * 60
    alarm_prefix: str  # ORDER_PIPELINE_QUEUE_PREFIX: one deployment's names share it


def alarms(monitoring: Monitoring, datasets: Sequence[str], topic_arn: str) -> list[dict[str, Any]]:
    """PutMetricAlarm arguments of each dataset's two alarms. Pure."""
    wanted = []
    for dataset in datasets:
        common = {
            "Namespace": monitoring.namespace,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "ActionsEnabled": True,
            "AlarmActions": [topic_arn],
            "OKActions": [topic_arn],
        }
        wanted.append(
            {
                "AlarmName": f"{monitoring.alarm_prefix}-{dataset}-files-unloaded",
                "AlarmDescription": f"{dataset}: landed files not loaded for an hour (every reconcile of the hour "
                "found some). `order-pipeline status` names them.",
                "MetricName": "FilesUnloaded",
                "Dimensions": dimensions(dataset, "reconcile"),
                "Statistic": "Minimum",
                "Period": UNLOADED_PERIOD_SECONDS,
                "Threshold": 0.0,
                "TreatMissingData": "missing",
                **common,
            }
        )
        wanted.append(
            {
                "AlarmName": f"{monitoring.alarm_prefix}-{dataset}-lag-above-sla",
                "AlarmDescription": f"{dataset}: a file was loaded more than {monitoring.max_lag_seconds // 60} "
                "minutes after it landed (ORDER_PIPELINE_MAX_LAG_MINUTES).",
                "MetricName": "LagSeconds",
                "Dimensions": dimensions(dataset, "load"),
                "Statistic": "Maximum",
                "Period": LAG_PERIOD_SECONDS,
                "Threshold": float(monitoring.max_lag_seconds),
                "TreatMissingData": "notBreaching",
                **common,
            }
        )
    return wanted


def _comparable(alarm: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {key: alarm.get(key) for key in keys}
    dimensions_found = found.get("Dimensions")
    if dimensions_found is not None:
        found["Dimensions"] = sorted((d["Name"], d["Value"]) for d in dimensions_found)
    for key in ("AlarmActions", "OKActions"):
        actions = found.get(key)
        if actions is not None:
            found[key] = sorted(actions)
    return found


def ensure_alarms(cloudwatch: Any, wanted: Sequence[dict[str, Any]], dry_run: bool) -> list[Change]:
    names = [alarm["AlarmName"] for alarm in wanted]
    existing: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), 100):  # DescribeAlarms takes up to 100 names
        response = cloudwatch.describe_alarms(AlarmNames=names[start : start + 100], AlarmTypes=["MetricAlarm"])
        existing.update({alarm["AlarmName"]: alarm for alarm in response.get("MetricAlarms", [])})
    changes = []
    action: Action
    for alarm in wanted:
        resource = f"cloudwatch alarm {alarm['AlarmName']}"
        current = existing.get(alarm["AlarmName"])
        if current is None:
            action = "create"
            detail = (
                f"{alarm['MetricName']} {alarm['Statistic']} > {alarm['Threshold']:g} -> {alarm['AlarmActions'][0]}"
            )
        else:
            keys = [key for key in alarm if key != "AlarmName"]
            now, then = _comparable(alarm, keys), _comparable(current, keys)
            differing = sorted(key for key in keys if now[key] != then[key])
            if not differing:
                changes.append(Change("unchanged", resource))
                continue
            action, detail = "update", ", ".join(differing)
        if not dry_run:
            cloudwatch.put_metric_alarm(**alarm)  # replaces the alarm's whole definition
        changes.append(Change(action, resource, detail))
    return changes


def ensure_email_subscription(sns: Any, topic_arn: str, email: str, *, topic_exists: bool, dry_run: bool) -> Change:
    resource = f"sns e-mail subscription {email} -> {topic_arn}"
    if topic_exists:
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            for subscription in page["Subscriptions"]:
                if subscription["Protocol"] == "email" and subscription["Endpoint"].lower() == email.lower():
                    return Change("unchanged", resource)
    if not dry_run:
        sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=email)
    return Change("create", resource, "AWS e-mails a confirmation link: the address receives nothing until opened")
