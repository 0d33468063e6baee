"""End to end, as users run it: 1M orders in 100 files over 4 landing dates, landed -> queryable in the warehouse.

    .venv/bin/python benchmarks/bench_e2e.py [--orders 1000000] [--files-per-day 25] [--skip-daemon]

(a) the headless drain (`order-pipeline demo`'s code: real sensor, runs in process) in a child process;
(b) the real daemon: `dagster dev` on the project's local instance settings, events-mode sensor, runs launched by
    the daemon; then (c) a one-file partition through the same daemon, run start -> success.
Baseline, measured in the same run on the same files: DuckDB `read_json_auto` + INSERT (no validation, no
ledger, no upsert). Prints per-stage seconds (sensor, lake, warehouse, analytics, run overhead), the peak RSS of
every process, and PASS/MISSED per target. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from measure import PEAK_MB_SOURCE, TreeMemory, load_average, run_child

TARGET_HEADLESS_S = 20.0
TARGET_DAEMON_S = 45.0
TARGET_VS_BASELINE = 1.0
TARGET_ONE_FILE_S = 6.0
TARGET_RSS_MB = 500.0
TARGET_TIMES_BASELINE = 3.0  # issue 24: headless <= 3x the bulk baseline's time
TARGET_FIRST_STEP_S = 1.5  # issue 24: run start -> first step start through the daemon
TARGET_VS_DLT = 3.0  # issue 24: headless >= 3x faster than dlt
STEPS = {"lake_orders": "lake", "warehouse_orders": "warehouse", "analytics__daily_order_summary": "analytics"}

BASELINE = (
    PEAK_MB_SOURCE
    + """
import sys, time, duckdb
folder, db = sys.argv[1], sys.argv[2]
start = time.perf_counter()
con = duckdb.connect(db)
con.execute(f"CREATE TABLE orders AS SELECT * FROM read_json_auto('{folder}/**/*.jsonl') LIMIT 0")
con.execute(f"INSERT INTO orders SELECT * FROM read_json_auto('{folder}/**/*.jsonl')")
rows = con.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
print(time.perf_counter() - start, rows, peak_mb())
"""
)

HEADLESS = (
    PEAK_MB_SOURCE
    + """
import json, resource, time
import dagster as dg
from order_pipeline.commands.headless import drain
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import load_settings
from order_pipeline.datasets.orders import ORDERS
import boto3

settings = load_settings()
started = time.perf_counter()
# as under the daemon, whose code server has its definitions loaded before a file lands: setup is printed apart
definitions = build_definitions(settings)
with dg.DagsterInstance.get() as instance:
    start = time.perf_counter()
    setup = start - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, ticks = drain(definitions, instance, ORDERS.landing_sensor_name)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    steps, runs, tick_runs = {}, [], []
    for tick in ticks:
        tick_runs.append(len(tick.runs))
        for run in tick.runs:
            record = instance.get_run_record_by_id(run.run_id)
            runs.append(record.end_time - record.start_time)
            for stat in instance.get_run_step_stats(run.run_id):
                steps[stat.step_key] = steps.get(stat.step_key, 0) + (stat.end_time - stat.start_time)
db = open_warehouse(settings, boto3.client("s3"))
orders = db.query('SELECT COUNT(*) FROM "orders"')[0][0]
db.close()
print(json.dumps({"wall": wall, "cpu": cpu, "setup": setup, "tick_runs": tick_runs, "runs": runs, "steps": steps,
                  "orders": orders, "peak_mb": peak_mb()}))
"""
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--files-per-day", type=int, default=25)
    parser.add_argument("--skip-daemon", action="store_true")
    parser.add_argument("--skip-dlt", action="store_true", help="leave out the dlt peer (issue 24 item 1)")
    args = parser.parse_args()

    from order_pipeline.commands.generate import GenerateOptions, write_to_folder
    from order_pipeline.commands.moto_server import free_port, start_moto_server

    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    today = datetime.now(timezone.utc).date()
    options = GenerateOptions(
        count=args.orders,
        days=4,
        files_per_day=args.files_per_day,
        start_date=today - timedelta(days=4),
        update_share=0.0,
    )
    started = time.perf_counter()
    files = write_to_folder(options, work / "files")
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"{args.orders:,} orders in {len(files)} files ({size_mb:.0f} MB) generated in "
        f"{time.perf_counter() - started:.0f}s; load average {load_average()} (1, 5, 15 min)\n"
    )

    seconds, rows, rss = run_child(BASELINE, str(work / "files"), str(work / "baseline.duckdb")).split()
    baseline = float(seconds)
    print(f"baseline  DuckDB read_json_auto + INSERT: {baseline:.1f}s, {int(rows):,} rows, peak {float(rss):.0f} MB\n")

    peer = None
    if not args.skip_dlt:
        import dlt_peer

        peer = dlt_peer.run(work / "files", work / "dlt")
        print(
            f"dlt {peer['version']} (local copy of the files, items child table, merge on order_id): "
            f"{peer['wall']:.1f}s, {peer['orders']:,} orders, {peer['items']:,} items, peak {peer['peak_mb']:.0f} MB\n"
        )

    port = free_port()
    moto = start_moto_server("127.0.0.1", port, log_path=work / "moto.log")
    try:
        headless = run_headless(work, port, files)
        daemon = None if args.skip_daemon else run_daemon(work, port, files, today)
    finally:
        moto.terminate()
    verdict = report(baseline, headless, daemon, args.orders, peer)
    print(f"load average at the end {load_average()} (1, 5, 15 min)")
    return verdict


def stack_env(work: Path, port: int, name: str) -> tuple[dict[str, str], object]:
    from order_pipeline.commands.local_stack import LocalStack, provision, write_dagster_home

    stack = LocalStack(
        state_dir=work / name,
        port=port,
        bucket=f"bench-{name}",
        queue_prefix=f"bench-{name}",
        topic=f"bench-{name}-events",
        queue=f"bench-{name}-inbox",
    )
    stack.state_dir.mkdir(parents=True)
    write_dagster_home(stack)
    provision(stack)
    env = {**os.environ, **stack.environment(), "ORDER_PIPELINE_SENSOR_INTERVAL_SECONDS": "5"}
    return env, stack


def land(stack, files: list[Path], root: Path) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=stack.endpoint,
        region_name=stack.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    for path in files:
        s3.upload_file(str(path), stack.bucket, f"landing/{path.relative_to(root).as_posix()}")


def run_headless(work: Path, port: int, files: list[Path]) -> dict:
    env, stack = stack_env(work, port, "headless")
    land(stack, files, work / "files")
    result = json.loads(run_child(HEADLESS, env=env))
    print(
        f"headless  {result['wall']:.1f}s ({result['cpu']:.1f} CPU s), {result['orders']:,} orders, "
        f"{len(result['runs'])} runs in "
        f"{len(result['tick_runs'])} sensor ticks (runs per tick {result['tick_runs']}), "
        f"peak {result['peak_mb']:.0f} MB; "
        f"before it, definitions and instance {result['setup']:.1f}s (the daemon's code server has them loaded)"
    )
    return result


def run_daemon(work: Path, port: int, files: list[Path], today) -> dict:
    import dagster as dg

    env, stack = stack_env(work, port, "daemon")
    ui_port = free_port_for_ui()
    dev = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-m",
            "order_pipeline.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(ui_port),
        ],
        env=env,
        cwd=work,
        start_new_session=True,
        stdout=open(work / "dagster-dev.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    memory = TreeMemory(dev.pid)
    try:
        wait_for(f"http://127.0.0.1:{ui_port}/server_info", 120)
        os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
        with dg.DagsterInstance.get() as instance:
            uploading = time.time()
            land(stack, files, work / "files")
            landed = time.time()  # every file landed: the clock of "landed -> queryable" starts here
            runs = wait_for_runs(instance, expected_partitions=4, since=uploading)
            done = max(r.end_time for r in runs)
            result = {
                "wall": done - landed,
                "upload": landed - uploading,
                "sensor": min(r.create_timestamp.timestamp() for r in runs) - uploading,
                "runs": [r.end_time - r.start_time for r in runs],
                "steps": step_seconds(instance, runs),
            }
            one = work / "files" / "one" / "orders" / f"{today:%Y/%m/%d}" / "late.jsonl"
            one.parent.mkdir(parents=True)
            one.write_bytes(files[0].read_bytes()[:20_000].rsplit(b"\n", 1)[0] + b"\n")
            since = time.time()
            land(stack, [one], work / "files" / "one")
            (single,) = wait_for_runs(instance, expected_partitions=1, since=since)
            result["one_file"] = single.end_time - single.start_time
            result["first_step"] = [first_step_delay(instance, r) for r in [*runs, single]]
            result["launch_first_step"] = [launch_to_first_step(instance, r) for r in [*runs, single]]
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
        result_peaks = memory.stop()
    result["peaks"] = result_peaks
    if os.environ.get("BENCH_VERBOSE"):
        print(memory.examples)
    print(
        f"daemon    {result['wall']:.1f}s last file landed -> last run done ({result['upload']:.1f}s of uploads "
        f"before, which the sensor and runs overlap), {len(result['runs'])} runs; "
        f"one-file partition {result['one_file']:.1f}s"
    )
    return result


def free_port_for_ui() -> int:
    from order_pipeline.commands.moto_server import free_port

    return free_port()


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f}s")


def wait_for_runs(instance, *, expected_partitions: int, since: float, timeout: float = 900) -> list:
    """The successful runs created after `since`, once they cover `expected_partitions` dates and none is left
    queued or running."""
    import dagster as dg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = [
            r
            for r in instance.get_run_records(dg.RunsFilter(job_name="orders_load_job"))
            if r.create_timestamp.timestamp() >= since - 1
        ]
        busy = [r for r in records if not r.dagster_run.is_finished]
        good = [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.SUCCESS]
        if not busy and len({r.dagster_run.tags.get("dagster/partition") for r in good}) >= expected_partitions:
            return good
        failed = [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.FAILURE]
        if failed and not busy:
            raise RuntimeError(f"{len(failed)} runs failed: {[r.dagster_run.run_id for r in failed]}")
        time.sleep(0.5)
    raise RuntimeError("the runs did not finish in time")


def first_step_delay(instance, record) -> float:
    """Run start (the run worker's RUN_START) -> its first step's start, seconds."""
    stats = instance.get_run_step_stats(record.dagster_run.run_id)
    return min(stat.start_time for stat in stats) - record.start_time


def launch_to_first_step(instance, record) -> float:
    """The daemon launching the run (RUN_STARTING: before the run worker process starts and loads the code
    location) -> its first step's start, seconds."""
    import dagster as dg

    (starting, *_) = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.RUN_STARTING)
    stats = instance.get_run_step_stats(record.dagster_run.run_id)
    return min(stat.start_time for stat in stats) - starting.timestamp


def step_seconds(instance, runs: list) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for record in runs:
        for stat in instance.get_run_step_stats(record.dagster_run.run_id):
            totals[stat.step_key] += stat.end_time - stat.start_time
    return dict(totals)


def stages(result: dict) -> dict[str, float]:
    steps = result["steps"]
    split = {label: steps.get(key, 0.0) for key, label in STEPS.items()}
    split["run overhead"] = sum(result["runs"]) - sum(steps.values())
    if "sensor" in result:
        split["sensor (first upload -> first run)"] = result["sensor"]
    else:
        split["sensor ticks"] = result["wall"] - sum(result["runs"])
    return split


def report(baseline: float, headless: dict, daemon: dict | None, orders: int, peer: dict | None = None) -> None:
    print("\nper stage, seconds (summed over runs; the daemon runs partitions concurrently, bounded by the pool)")
    for name, result in (("headless", headless), ("daemon", daemon)):
        if result:
            print(f"  {name:9}" + "  ".join(f"{k} {v:.1f}" for k, v in stages(result).items()))
    if daemon:
        print("peak RSS per process role, MB: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(daemon["peaks"].items())))
    run_rss = max(
        [v for k, v in (daemon or {}).get("peaks", {}).items() if k in ("run worker", "step worker")]
        or [headless["peak_mb"]]
    )
    if daemon:
        print(
            "RUN_START -> first step start, s (excludes the run worker's process start): "
            + ", ".join(f"{s:.2f}" for s in daemon["first_step"])
        )
    print(
        f"\nspeed vs baseline (baseline seconds / ours): headless {baseline / headless['wall']:.2f}x"
        + (f", daemon {baseline / daemon['wall']:.2f}x" if daemon else "")
    )
    targets = [
        (
            f"{orders:,} orders headless <= {TARGET_HEADLESS_S:.0f}s",
            headless["wall"] <= TARGET_HEADLESS_S,
            f"{headless['wall']:.1f}s",
        ),
        (
            "headless >= 1.0x the DuckDB baseline",
            baseline / headless["wall"] >= TARGET_VS_BASELINE,
            f"{baseline / headless['wall']:.2f}x",
        ),
    ]
    targets.append(
        (
            f"headless <= {TARGET_TIMES_BASELINE:.0f}x the DuckDB baseline's time",
            headless["wall"] <= TARGET_TIMES_BASELINE * baseline,
            f"{headless['wall'] / baseline:.2f}x",
        )
    )
    if peer:
        targets.append(
            (
                f"headless >= {TARGET_VS_DLT:.0f}x faster than dlt",
                peer["wall"] >= TARGET_VS_DLT * headless["wall"],
                f"{peer['wall'] / headless['wall']:.1f}x (dlt {peer['wall']:.1f}s)",
            )
        )
    if daemon:
        targets += [
            (
                f"{orders:,} orders through the daemon <= {TARGET_DAEMON_S:.0f}s",
                daemon["wall"] <= TARGET_DAEMON_S,
                f"{daemon['wall']:.1f}s",
            ),
            (
                "daemon >= 1.0x the DuckDB baseline",
                baseline / daemon["wall"] >= TARGET_VS_BASELINE,
                f"{baseline / daemon['wall']:.2f}x",
            ),
            (
                f"run launched -> first step start <= {TARGET_FIRST_STEP_S}s (slowest run)",
                max(daemon["launch_first_step"]) <= TARGET_FIRST_STEP_S,
                ", ".join(f"{s:.2f}s" for s in daemon["launch_first_step"]),
            ),
            (
                f"one-file partition run start -> success <= {TARGET_ONE_FILE_S:.0f}s",
                daemon["one_file"] <= TARGET_ONE_FILE_S,
                f"{daemon['one_file']:.1f}s",
            ),
        ]
    targets.append(
        (
            f"peak RSS of a run process <= {TARGET_RSS_MB:.0f} MB ({orders // 4:,} orders a partition)",
            run_rss <= TARGET_RSS_MB,
            f"{run_rss:.0f} MB",
        )
    )
    print()
    for target, met, figure in targets:
        print(f"{'PASS' if met else 'MISSED':6} {target}: {figure}")
    return 0 if all(met for _, met, _ in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
