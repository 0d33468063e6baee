"""The S3 landing sensor: lists the recent date prefixes, requests one run per partition with new files."""

from datetime import datetime, timezone

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster_aws.s3 import S3Resource

from order_pipeline.aws.s3_objects import list_landing_window
from order_pipeline.config import Settings
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing_scan import ScanCursor, plan_scan, scan_window


def build_landing_sensor(dataset: Dataset, settings: Settings, job: UnresolvedAssetJobDefinition,
                         raw_key: dg.AssetKey, *, name: str) -> dg.SensorDefinition:
    landing_root = settings.landing_root(dataset.name)

    @dg.sensor(name=name, job=job, minimum_interval_seconds=settings.sensor_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description=f"Watches s3://{settings.bucket}/{landing_root} for new or re-written {dataset.name} "
                           f"files (lookback {settings.lookback_days} days) and requests one run per landing date.")
    def landing_sensor(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult:
        cursor = ScanCursor.from_json(context.cursor)
        window = scan_window(cursor, datetime.now(timezone.utc).date(), settings.lookback_days,
                             settings.partition_start)
        # A listing failure raises: the tick fails and the cursor stays where it was.
        listed = list_landing_window(s3.get_client(), settings.bucket, landing_root, window)
        plan = plan_scan(cursor, listed, window)
        if not plan.new_by_partition:
            first, last = (window[0], window[-1]) if window else ("-", "-")
            return dg.SensorResult(
                skip_reason=f"no new {dataset.name} files among {len(listed)} listed in "
                            f"s3://{settings.bucket}/{landing_root} for {first}..{last}",
                cursor=plan.cursor.to_json())
        requests = []
        events = []
        for partition, files in plan.new_by_partition.items():
            requests.append(dg.RunRequest(run_key=plan.run_key(partition), partition_key=partition,
                                          tags={"order_pipeline/dataset": dataset.name,
                                                "order_pipeline/new_files": str(len(files))}))
            events.extend(
                dg.AssetMaterialization(asset_key=raw_key, partition=partition, description="file landed",
                                        metadata={"uri": dg.MetadataValue.url(f.uri), "etag": f.etag,
                                                  "size_bytes": f.size,
                                                  "last_modified": f.last_modified.isoformat()})
                for f in files)
        context.log.info(f"{sum(len(f) for f in plan.new_by_partition.values())} new files in "
                         f"{len(requests)} partitions")
        return dg.SensorResult(run_requests=requests, asset_events=events, cursor=plan.cursor.to_json())

    return landing_sensor
