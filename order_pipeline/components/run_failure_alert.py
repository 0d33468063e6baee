"""Failure alerts: every failed run publishes a `run_failed` event (asset, partition, error, link)."""

import dagster as dg

from order_pipeline.components.resources import SNSResource
from order_pipeline.config import Settings
from order_pipeline.notifications import PipelineEvent


class RunFailureNotPublished(Exception):
    """A failed run whose announcement SNS refused or could not be reached for."""


def _error_text(error) -> str:  # dagster's SerializableErrorInfo (not public API): message, cause, context
    """The error with its causes: after retries the step error is only "Exceeded max_retries of N"."""
    messages: list[str] = []
    while error is not None and len(messages) < 5:
        messages.append(error.message.strip())
        error = error.cause or error.context
    return " <- ".join(messages)


def build_run_failure_alert(settings: Settings) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="notify_run_failures",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Publishes a run_failed notification for every failed run.",
    )
    def notify_run_failures(context: dg.RunFailureSensorContext, notifier: SNSResource) -> None:
        run = context.dagster_run
        steps = context.get_step_failure_events()
        # a step failure's data holds its error (typed as the union of every event's data)
        errors = [_error_text(error) for event in steps if (error := getattr(event.event_specific_data, "error", None))]
        # A run of a whole asset job has no asset selection: its assets are the ones it planned, per step.
        planned: dict[str | None, set[str]] = {}
        for record in context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
            event = record.dagster_event
            if event is not None and event.asset_key is not None:
                planned.setdefault(event.step_key, set()).add(event.asset_key.to_user_string())
        assets = sorted({key.to_user_string() for key in (run.asset_selection or ())} or set().union(*planned.values()))
        failed_assets = sorted(set().union(*(planned.get(event.step_key, set()) for event in steps)))
        message_id = notifier.publish(
            PipelineEvent(
                "run_failed",
                dataset=run.tags.get("order_pipeline/dataset", ""),
                partition=run.tags.get("dagster/partition", ""),
                asset=", ".join(failed_assets or assets) or run.job_name,
                details={
                    "run_id": run.run_id,
                    "job": run.job_name,
                    "assets": assets,
                    "failed_steps": [event.step_key for event in steps],
                    "error": (errors[0] if errors else context.failure_event.message or "")[:2000],
                    "run_url": f"{settings.ui_base_url}/runs/{run.run_id}",
                },
            )
        )
        if notifier.topic_arn and message_id is None:
            # Dagster does not evaluate a run status sensor twice for one run; raising at least fails this tick,
            # so the lost announcement shows in the sensor's tick history instead of as "acted on" the run.
            raise RunFailureNotPublished(
                f"run {run.run_id} ({run.job_name}, partition {run.tags.get('dagster/partition', '-')}) failed, "
                f"but its run_failed notification could not be published to {notifier.topic_arn}"
            )

    return notify_run_failures
