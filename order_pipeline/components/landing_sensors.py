"""The landing sensors of a dataset: the landing sensor (events or listing mode) and its reconcile.

Thin wiring: the decisions are in `order_pipeline.steps.sensors.landing_tick` / `reconcile_tick` and `landing/`.
"""

from collections.abc import Sequence
from datetime import datetime, timezone

import dagster as dg
from dagster_aws.s3 import S3Resource

from order_pipeline.aws import sqs_queue
from order_pipeline.aws.cloudwatch_metrics import reconcile_metrics
from order_pipeline.components.completeness_check import reconcile_check_evaluation
from order_pipeline.components.keys import raw_key, warehouse_key
from order_pipeline.components.resources import CloudWatchMetricsResource, SNSResource, SQSResource
from order_pipeline.components.warehouse_resource import WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing.cursor import LandingCursor, ReconcileCursor
from order_pipeline.landing.keys import FileVersion
from order_pipeline.landing.plan import PartitionRequest
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.sensors.landing_tick import LandingSource, LedgerReader, events_tick, listing_tick
from order_pipeline.steps.sensors.reconcile_tick import ReconcileResult, reconcile_tick
from order_pipeline.warehouse.base import WarehouseBusy

SENSOR_LEDGER_WAIT_SECONDS = 5.0  # a sensor does not wait long for a warehouse a run is writing: next tick


def landing_source(settings: Settings, dataset: Dataset) -> LandingSource:
    return LandingSource(
        bucket=settings.bucket,
        root=settings.landing_root(dataset.name),
        first_day=settings.partition_start,
        acks_prefix=settings.layout.sensor_state_prefix(settings.queue_name(dataset.name)),
    )


def ledger_reader(warehouse: WarehouseResource, s3_client, dataset: Dataset) -> LedgerReader:
    def read(partitions: list[str]) -> dict[str, set[tuple[str, str]]]:
        with warehouse.connect(s3_client, wait_seconds=SENSOR_LEDGER_WAIT_SECONDS) as db:
            return db.ledger_by_partition(dataset, partitions)

    return read


FILES_TAG_CHARS = 200  # a run's files tag names files up to this length, then counts the rest


def files_tag(versions: Sequence[FileVersion], root: str) -> str:
    """The files that motivated a run, as keys below the landing root: `2026/11/01/orders-1.jsonl, … (+N more)`.
    Each file's raw-asset event and the warehouse materialization's `sources` name them all."""
    names = sorted(v.key[len(root) :] if v.key.startswith(root) else v.key for v in versions)
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join([*shown, name])) > FILES_TAG_CHARS:
            break
        shown.append(name)
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f", … (+{rest} more)" if rest else "")


def run_requests(requests: Sequence[PartitionRequest], dataset: Dataset, root: str) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            run_key=request.run_key,
            partition_key=request.partition,
            tags={
                "order_pipeline/dataset": dataset.name,
                "order_pipeline/new_files": str(len(request.versions)),
                "order_pipeline/files": files_tag(request.versions, root),
                "order_pipeline/trigger": request.trigger,
            },
        )
        for request in requests
    ]


def build_landing_sensor(dataset: Dataset, settings: Settings, job_name: str, *, name: str) -> dg.SensorDefinition:
    source = landing_source(settings, dataset)
    if settings.sensor_mode == "events":
        how = f"receives S3 event notifications for {source.uri} from SQS queue {settings.queue_name(dataset.name)}"
    else:
        how = f"lists {source.uri} for the last {settings.lookback_days} days"

    @dg.sensor(
        name=name,
        job_name=job_name,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"{settings.sensor_mode.capitalize()} mode: {how}, and requests one run per landing "
        "date with new files. Its first tick discovers every landing date and loads what the "
        "ledger does not hold.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, s3: S3Resource, queue: SQSResource, warehouse: WarehouseResource
    ) -> dg.SensorResult:
        # Any S3 or SQS failure raises: the tick fails visibly and the cursor stays where it was.
        cursor = LandingCursor.from_json(context.cursor)
        client = s3.get_client()
        ledger = ledger_reader(warehouse, client, dataset)
        today = datetime.now(timezone.utc).date()
        if settings.sensor_mode == "events":
            sqs = queue.get_client()
            result = events_tick(
                client,
                sqs,
                sqs_queue.queue_url(sqs, settings.queue_name(dataset.name)),
                ledger,
                source,
                cursor,
                today,
                max_messages=settings.queue_max_messages,
                wait_seconds=settings.queue_wait_seconds,
                visibility_seconds=settings.queue_visibility_seconds,
                backlog_dates_per_tick=settings.backlog_dates_per_tick,
            )
        else:
            result = listing_tick(
                client,
                ledger,
                source,
                cursor,
                today,
                lookback_days=settings.lookback_days,
                backlog_dates_per_tick=settings.backlog_dates_per_tick,
            )
        for warning in result.warnings:
            context.log.warning(warning)
        if not result.requests:
            return dg.SensorResult(
                skip_reason=f"no new {dataset.name} files: {result.summary()}", cursor=result.cursor.to_json()
            )
        context.log.info(
            f"{sum(len(r.versions) for r in result.requests)} new files in "
            f"{len(result.requests)} partitions: {result.summary()}"
        )
        return dg.SensorResult(
            run_requests=run_requests(result.requests, dataset, source.root), cursor=result.cursor.to_json()
        )

    return landing_sensor


def dates_in_progress(instance: dg.DagsterInstance, job_name: str) -> set[str]:
    """Landing dates with a run of the job queued or running: that run loads what the ledger lacks, so the
    reconcile neither requests another (a backlog longer than the minimum age would otherwise be requested again)
    nor counts the date as missed (a long load would otherwise be reported as files still not loaded)."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            job_name=job_name,
            statuses=[
                dg.DagsterRunStatus.QUEUED,
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ],
        )
    )
    return {partition for run in runs if (partition := run.tags.get("dagster/partition"))}


def build_reconcile_sensor(dataset: Dataset, settings: Settings, job_name: str, *, name: str) -> dg.SensorDefinition:
    source = landing_source(settings, dataset)

    @dg.sensor(
        name=name,
        job_name=job_name,
        minimum_interval_seconds=settings.reconcile_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Compares every file landed in {source.uri} in the last {settings.reconcile_days} "
        "days with the file ledger and requests a run for each landing date with unloaded "
        "files: late files, lost events, runs that failed for good.",
    )
    def reconcile_sensor(
        context: dg.SensorEvaluationContext,
        s3: S3Resource,
        warehouse: WarehouseResource,
        notifier: SNSResource,
        metrics: CloudWatchMetricsResource,
    ) -> dg.SensorResult:
        client = s3.get_client()
        # read before the ledger: a run that ends meanwhile has written its ledger rows by the time they are read
        running = dates_in_progress(context.instance, job_name)
        try:
            result = reconcile_tick(
                client,
                ledger_reader(warehouse, client, dataset),
                source,
                ReconcileCursor.from_json(context.cursor),
                datetime.now(timezone.utc),
                depth_days=settings.reconcile_days,
                min_age_seconds=settings.reconcile_min_age_seconds,
                in_progress=running,
            )
        except WarehouseBusy as busy:
            return dg.SensorResult(skip_reason=f"the ledger cannot be read now, reconciling next tick: {busy}")
        if metrics.enabled:
            publish_reconcile_metrics(context, metrics, warehouse, client, dataset, result, settings)
        for partition, files in result.plan.newly_persistent.items():
            context.log.warning(f"{len(files)} {dataset.name} files of {partition} are still not loaded")
            notifier.publish(
                PipelineEvent(
                    "files_unloaded",
                    dataset=dataset.name,
                    partition=partition,
                    asset=raw_key(dataset).to_user_string(),
                    details={
                        "files": [f.uri for f in files[:50]],
                        "count": len(files),
                        "reconcile_ticks": result.plan.cursor.missing[partition][1],
                    },
                )
            )
        cursor = result.plan.cursor.to_json()
        if not result.plan.requests:
            reason = (
                f"{len(result.plan.left_to_runs)} dates with unloaded files, each being loaded by a run in progress"
                if result.plan.left_to_runs
                else "nothing unloaded"
            )
            return dg.SensorResult(skip_reason=f"{reason}: {result.looked_at}", cursor=cursor)
        context.log.info(result.looked_at)
        # each date with a gap shows its completeness check failed, naming the files, until the run loads them
        gaps = [
            reconcile_check_evaluation(dataset, warehouse_key(dataset.name), r.partition, r.versions)
            for r in result.plan.requests
        ]
        return dg.SensorResult(
            run_requests=run_requests(result.plan.requests, dataset, source.root), cursor=cursor, asset_events=gaps
        )

    return reconcile_sensor


def publish_reconcile_metrics(
    context: dg.SensorEvaluationContext,
    metrics: CloudWatchMetricsResource,
    warehouse: WarehouseResource,
    s3_client,
    dataset: Dataset,
    result: ReconcileResult,
    settings: Settings,
) -> None:
    """The reconcile's metrics (sums over the dates it compared); any failure is logged, never fails the tick."""
    try:
        partitions = sorted(p for p, landed in result.files.items() if landed)
        with warehouse.connect(s3_client, wait_seconds=SENSOR_LEDGER_WAIT_SECONDS) as db:
            history = db.load_history(dataset, partitions) if partitions else []
        statuses = result.statuses(history, min_age_seconds=settings.reconcile_min_age_seconds)
    except Exception as error:  # noqa: BLE001 - metrics never fail the reconcile
        context.log.warning(f"CloudWatch metrics NOT published: the load history could not be read: {error}")
        return
    published = metrics.publish(reconcile_metrics(dataset.name, statuses))
    if published.failed:
        context.log.warning(f"CloudWatch metrics {published.text}")
    else:
        context.log.info(f"CloudWatch metrics of {len(statuses)} landing dates: {published.text}")
