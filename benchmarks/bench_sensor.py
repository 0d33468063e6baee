"""Sensor ticks at the original design's scale: 10,000 files a day, a 4-day window (40,000 objects) and 100,000
older objects. Prints seconds per tick, S3/SQS calls and cursor bytes for the events and listing modes beside a
full-prefix listing baseline (what dagster-aws's `get_objects` does) measured in the same process.

    .venv/bin/python benchmarks/bench_sensor.py [--per-day 10000] [--older-days 10] [--new-files 1000]

The endpoint is moto's server, in a thread of this process so the bucket can be filled directly (no 140,000
PUTs); every measured call goes over HTTP through boto3, as the sensor's do. Ticks run through the real sensor
definitions (`order_pipeline.commands.headless.run_sensor_tick`, runs not executed). Targets: events-mode tick
<= 1 s for 1,000 new files; listing-mode cursor <= 64 KB whatever the file count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

TARGET_EVENTS_TICK_S = 1.0
TARGET_CURSOR_BYTES = 64 * 1024
ACCOUNT = "123456789012"


class EndpointClock:
    """Wall time spent waiting on the endpoint (the union of all in-flight AWS calls, threads included), so a
    tick's own processing can be told apart from the endpoint's. A measuring probe on botocore's Endpoint."""

    def __init__(self) -> None:
        import threading

        import botocore.endpoint

        self.intervals: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        original = botocore.endpoint.Endpoint.make_request

        def timed(endpoint, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(endpoint, *args, **kwargs)
            finally:
                with self._lock:
                    self.intervals.append((started, time.perf_counter()))

        botocore.endpoint.Endpoint.make_request = timed

    def reset(self) -> None:
        with self._lock:
            self.intervals = []

    def waited(self) -> tuple[float, int]:
        """(seconds with at least one call in flight, number of calls) since the last reset."""
        total, end = 0.0, float("-inf")
        for start, stop in sorted(self.intervals):
            if stop > end:
                total += stop - max(start, end)
                end = stop
        return total, len(self.intervals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--older-days", type=int, default=10)
    parser.add_argument("--new-files", type=int, default=1_000)
    args = parser.parse_args()

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    from order_pipeline.commands.moto_server import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    state = Path(tempfile.mkdtemp(prefix="bench-sensor-"))
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "ORDER_PIPELINE_BUCKET": "bench-landing",
            "ORDER_PIPELINE_STATE_DIR": str(state),
            "ORDER_PIPELINE_DUCKDB_PATH": str(state / "warehouse.duckdb"),
            "ORDER_PIPELINE_QUEUE_MAX_MESSAGES": str(max(args.new_files, 10)),
        }
    )
    try:
        return run(args)
    finally:
        server.stop()


def run(args: argparse.Namespace) -> int:
    import boto3
    import dagster as dg
    from moto.s3.models import s3_backends

    from order_pipeline.aws.s3_objects import list_prefix
    from order_pipeline.commands.aws_bootstrap import run_bootstrap
    from order_pipeline.commands.headless import run_sensor_tick
    from order_pipeline.components.pipeline import build_definitions
    from order_pipeline.config import load_settings
    from order_pipeline.datasets.orders import ORDERS
    from order_pipeline.landing.cursor import LandingCursor

    settings = load_settings()
    run_bootstrap(settings, [ORDERS], dry_run=False)
    root = settings.landing_root("orders")
    today = datetime.now(timezone.utc).date()
    backend = s3_backends[ACCOUNT]["global"]
    started = time.perf_counter()
    days = [today - timedelta(days=n) for n in range(4 + args.older_days)]
    for day in days:  # straight into the endpoint's store: no notification, no HTTP
        for n in range(args.per_day):
            backend.put_object(
                settings.bucket, f"{root}{day:%Y/%m/%d}/orders-{n:05d}.jsonl", b"{}\n", disable_notification=True
            )
    total = len(days) * args.per_day
    print(
        f"bucket filled with {total:,} objects ({4 * args.per_day:,} in the 4-day window) "
        f"in {time.perf_counter() - started:.0f}s\n"
    )

    clock = EndpointClock()
    s3 = boto3.client("s3")
    started = time.perf_counter()
    listed = sum(1 for _ in list_prefix(s3, settings.bucket, root))
    baseline = time.perf_counter() - started
    rows = [("full-prefix listing (baseline)", baseline, *clock.waited(), "-", f"{listed:,} objects")]

    def tick(mode: str, cursor: str | None) -> tuple[float, str, int]:
        clock.reset()
        os.environ["ORDER_PIPELINE_SENSOR_MODE"] = mode
        defs = build_definitions(load_settings())
        with dg.instance_for_test() as instance:
            if os.environ.get("BENCH_PROFILE") == mode:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
                run_sensor_tick(defs, instance, ORDERS.landing_sensor_name, cursor, execute=False)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            begun = time.perf_counter()
            outcome = run_sensor_tick(defs, instance, ORDERS.landing_sensor_name, cursor, execute=False)
            return time.perf_counter() - begun, outcome.cursor or "", len(outcome.requests)

    steady = LandingCursor(discovered=True, through=today.isoformat()).to_json()
    seconds, cursor, requests = tick("listing", steady)
    rows.append(
        (
            f"listing: window tick, {4 * args.per_day:,} new files",
            seconds,
            *clock.waited(),
            len(cursor),
            f"{requests} partitions",
        )
    )
    seconds, cursor, requests = tick("listing", cursor)
    rows.append(("listing: window tick, nothing new", seconds, *clock.waited(), len(cursor), f"{requests} partitions"))
    listing_cursor = len(cursor)

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.queue_name("orders"))["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    for start in range(0, args.new_files, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": json.dumps(
                        {
                            "Records": [
                                {
                                    "eventName": "ObjectCreated:Put",
                                    "eventTime": datetime.now(timezone.utc).isoformat(),
                                    "s3": {
                                        "bucket": {"name": settings.bucket},
                                        "object": {
                                            "key": f"{root}{today:%Y/%m/%d}/new-{start + n:05d}.jsonl",
                                            "size": 3,
                                            "eTag": f"{start + n:032x}",
                                        },
                                    },
                                }
                            ]
                        }
                    ),
                }
                for n in range(min(10, args.new_files - start))
            ],
        )
    events_cursor = LandingCursor(discovered=True).to_json()
    events_seconds, cursor, requests = tick("events", events_cursor)
    endpoint_seconds, calls = clock.waited()
    rows.append(
        (
            f"events: tick receiving {args.new_files:,} new files",
            events_seconds,
            endpoint_seconds,
            calls,
            len(cursor),
            f"{requests} partitions",
        )
    )
    own_seconds = events_seconds - endpoint_seconds
    seconds, cursor, requests = tick("events", cursor)
    rows.append(
        (
            f"events: next tick (acknowledges {args.new_files:,})",
            seconds,
            *clock.waited(),
            len(cursor),
            f"{requests} partitions",
        )
    )

    print(f"{'':44} {'seconds':>8} {'vs baseline':>12} {'in endpoint':>12} {'calls':>6} {'cursor bytes':>13}  result")
    for name, secs, waited, calls, size, note in rows:
        print(f"{name:44} {secs:8.2f} {secs / baseline:11.2f}x {waited:11.2f}s {calls:6} {size!s:>13}  {note}")
    print(
        "\n'in endpoint': wall time with an AWS call in flight. moto's SQS scans every in-flight message on each "
        "ReceiveMessage\n(its own TODO says so), so a 1,000-message tick there is the endpoint's time, not ours.\n"
    )
    verdict = [
        (
            f"events-mode tick <= 1 s for {args.new_files:,} new files, wall on this endpoint",
            events_seconds <= TARGET_EVENTS_TICK_S,
            f"{events_seconds:.2f}s",
        ),
        (
            f"events-mode tick <= 1 s for {args.new_files:,} new files, the tick's own time (wall - endpoint)",
            own_seconds <= TARGET_EVENTS_TICK_S,
            f"{own_seconds:.2f}s",
        ),
        ("listing-mode cursor <= 64 KB", listing_cursor <= TARGET_CURSOR_BYTES, f"{listing_cursor} bytes"),
    ]
    for target, met, figure in verdict:
        print(f"{'PASS' if met else 'MISSED':6} {target}: {figure}")
    return 0 if all(met for _, met, _ in verdict) else 1


if __name__ == "__main__":
    sys.exit(main())
