"""Failure alerts: every failed run publishes a `run_failed` event (asset, partition, error, link)."""

import dagster as dg

from order_pipeline.config import Settings
from order_pipeline.defs.resources import SNSResource
from order_pipeline.notifications import PipelineEvent


def build_run_failure_alert(settings: Settings) -> dg.SensorDefinition:
    @dg.run_failure_sensor(name="notify_run_failures", default_status=dg.DefaultSensorStatus.RUNNING,
                           description="Publishes a run_failed notification for every failed run.")
    def notify_run_failures(context: dg.RunFailureSensorContext, notifier: SNSResource) -> None:
        run = context.dagster_run
        steps = context.get_step_failure_events()
        errors = [event.event_specific_data.error.message.strip() for event in steps
                  if event.event_specific_data and event.event_specific_data.error]
        assets = sorted(key.to_user_string() for key in (run.asset_selection or ()))
        notifier.publish(PipelineEvent(
            "run_failed", dataset=run.tags.get("order_pipeline/dataset", ""),
            partition=run.tags.get("dagster/partition", ""), asset=", ".join(assets) or run.job_name,
            details={"run_id": run.run_id, "job": run.job_name, "assets": assets,
                     "failed_steps": [event.step_key for event in steps],
                     "error": (errors[0] if errors else context.failure_event.message or "")[:2000],
                     "run_url": f"{settings.ui_base_url}/runs/{run.run_id}"}))

    return notify_run_failures
