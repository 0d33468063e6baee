"""`order-pipeline demo` (headless) and `order-pipeline run` (the Dagster UI) on the local stack."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import boto3
import dagster as dg

from order_pipeline.aws.s3_landing import scan_landing_tree
from order_pipeline.commands.dagster_processes import DagsterProcesses
from order_pipeline.commands.generate import GenerateOptions, options_from_args, write_to_s3
from order_pipeline.commands.headless import drain
from order_pipeline.commands.local_stack import LocalStack, PortTaken, down, stack_from_args, up
from order_pipeline.commands.moto_server import free_port
from order_pipeline.commands.signals import Shutdown, StopRequested
from order_pipeline.components.landing_sensors import landing_source
from order_pipeline.components.pipeline import build_definitions
from order_pipeline.components.resources import open_warehouse
from order_pipeline.config import Settings, load_settings
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.landing_audit import LandingAudit, audit_landing
from order_pipeline.steps.warehouse.warehouse_checks import row_count


def prepare(stack: LocalStack, options: GenerateOptions) -> Settings:
    """Start and provision the local stack, export its environment to this process, land sample orders.

    The partitions start at the first landing date in the bucket (unless ORDER_PIPELINE_PARTITION_START says
    otherwise): the UI shows the days that hold data, not two years of empty partitions."""
    up(stack)
    os.environ.update(stack.environment())
    os.environ.setdefault("ORDER_PIPELINE_SENSOR_INTERVAL_SECONDS", "15")
    settings = load_settings()
    s3, root = boto3.client("s3"), settings.landing_root("orders")
    landed = write_to_s3(options, s3, f"s3://{settings.bucket}/{root}")
    print(f"landed {len(landed)} order files in s3://{settings.bucket}/{root}")
    first = min(scan_landing_tree(s3, settings.bucket, root).partitions(), default=None)
    if first is not None:
        os.environ.setdefault("ORDER_PIPELINE_PARTITION_START", first)
    return load_settings()


@dataclass(frozen=True)
class DemoSummary:
    files: int
    runs: int
    failed_runs: int
    partitions: list[str]
    orders: int
    items: int
    seconds: float
    audit: LandingAudit
    orders_generated: int

    @property
    def ok(self) -> bool:
        """Every landed file accounted for in the ledger and no run failed: anything else exits non-zero."""
        return self.audit.complete and not self.failed_runs

    def __str__(self) -> str:
        partitions = sorted(set(self.partitions))
        return (
            f"landing: {self.audit}\n"
            f"demo: {self.files} new files in {len(partitions)} partitions ({', '.join(partitions) or 'none'}) "
            f"-> {self.runs} runs ({self.failed_runs} failed); warehouse holds {self.orders} orders "
            f"({self.orders_generated} generated) and {self.items} order items; {self.seconds:.1f}s"
        )


def landing_audit(settings: Settings) -> LandingAudit:
    """Every landed orders file against the ledger (the warehouse is read after the runs, when nothing writes)."""
    s3 = boto3.client("s3")
    db = open_warehouse(settings, s3)
    try:
        db.ensure_tables(ORDERS)
        return audit_landing(s3, db, landing_source(settings, ORDERS), ORDERS, datetime.now(timezone.utc).date())
    finally:
        db.close()


def run_demo(stack: LocalStack, options: GenerateOptions, *, keep_stack: bool = False) -> DemoSummary:
    started = time.monotonic()
    try:
        settings = prepare(stack, options)
        defs = build_definitions(settings)
        cursor_file = stack.state_dir / "demo_sensor_cursor.json"
        cursor = cursor_file.read_text() if cursor_file.exists() else None
        with dg.DagsterInstance.get() as instance:
            cursor, ticks = drain(defs, instance, ORDERS.landing_sensor_name, cursor)
        if cursor:
            cursor_file.write_text(cursor)
        runs = [run for tick in ticks for run in tick.runs]
        audit = landing_audit(settings)
        db = open_warehouse(settings, boto3.client("s3"))
        try:
            orders, items = row_count(db, "orders"), row_count(db, "order_items")
        finally:
            db.close()
        return DemoSummary(
            files=sum(int(run.dagster_run.tags.get("order_pipeline/new_files", 0)) for run in runs),
            runs=len(runs),
            failed_runs=sum(1 for run in runs if not run.success),
            partitions=[p for tick in ticks for p in tick.partitions],
            orders=orders,
            items=items,
            seconds=time.monotonic() - started,
            audit=audit,
            orders_generated=options.count,
        )
    finally:
        if not keep_stack:
            down(stack)


DAEMON_RESTARTS = 5  # a daemon that keeps dying (a broken instance, say) is not restarted forever


def supervise(processes: DagsterProcesses, poll_seconds: float = 1.0) -> int:
    """Until a stop signal: a daemon that dies is started again on the same instance (its runs go on in the
    code server meanwhile); the webserver or the code server dying, or the daemon too often, ends everything
    (returns 1)."""
    restarts = 0
    while True:
        time.sleep(poll_seconds)
        exited = processes.exited()
        for name in ("webserver", "code-server"):
            if name in exited:
                print(f"the Dagster {name} exited with code {exited[name]}; stopping")
                return 1
        if "daemon" in exited:
            if restarts == DAEMON_RESTARTS:
                print(f"the Dagster daemon exited {restarts + 1} times; stopping (see its log)")
                return 1
            restarts += 1
            print(f"the Dagster daemon exited with code {exited['daemon']}; starting it again")
            processes.start_daemon()


def _say(text: str) -> None:
    """Print a line of the shutdown report; a terminal that is gone (SIGHUP) does not stop the cleanup."""
    try:
        print(text, flush=True)
    except OSError:
        pass


def _stop_and_report(
    stack: LocalStack, processes: DagsterProcesses | None, settings: Settings | None, code: int
) -> int:
    """Stop the Dagster processes, compare every landed file with the ledger, stop the endpoint; the exit code."""
    if processes is not None:
        processes.stop_all()
    try:
        if settings is None:
            _say("landing: not compared with the ledger (the local stack was not up)")
        else:
            audit = landing_audit(settings)
            _say(f"landing: {audit}")
            code = code or (0 if audit.complete else 1)
    except Exception as error:  # noqa: BLE001 - the summary must not hide the shutdown below
        _say(f"landing: could not compare landed files with the ledger: {error}")
        code = code or 1
    finally:
        stopped = [what for what, done in (("the Dagster UI", processes), ("the local endpoint", down(stack))) if done]
        _say(f"stopped {' and '.join(stopped)}" if stopped else "nothing was left running")
    return code


def run_ui(stack: LocalStack, options: GenerateOptions, *, port: int = 3000) -> int:
    """Bring the stack up, land orders, serve the Dagster UI (daemon + sensor on) until stopped, clean up.

    Three processes, as deployed: the code location's server (where runs execute), the webserver, the daemon.
    Ctrl-C, SIGTERM or SIGHUP, once or many times (a `make run` stopped by its process group gets SIGTERM twice),
    end the same way: every process stopped and the landed files compared with the ledger (commands/signals.py)."""
    code, settings, processes = 0, None, None
    with Shutdown() as shutdown:
        try:
            try:
                settings = prepare(stack, options)
                os.environ.setdefault("ORDER_PIPELINE_UI_BASE_URL", f"http://127.0.0.1:{port}")
                processes = DagsterProcesses(
                    home=stack.state_dir / "dagster",
                    env={},
                    log_dir=stack.state_dir / "logs",
                    ui_port=port,
                    code_port=free_port(),
                )
                processes.start()
                _say(
                    f"Dagster UI: {processes.ui_url}  (sensor s3_order_files_sensor is on; logs in "
                    f"{processes.log_dir}; Ctrl-C stops everything)"
                )
                code = supervise(processes)
            except StopRequested:
                pass
            except RuntimeError as error:  # a process that did not come up (its log says why), a port taken
                _say(str(error))
                code = 1
        finally:
            shutdown.cleaning_up()  # from here on a signal is noted, not obeyed: the cleanup runs to its end
            code = _stop_and_report(stack, processes, settings, code)
        if summary := shutdown.summary():
            _say(summary)
    return code


def demo(args: argparse.Namespace) -> int:
    """`order-pipeline demo`: exits 1 when a landed file is not in the ledger or a run failed."""
    try:
        summary = run_demo(stack_from_args(args), options_from_args(args), keep_stack=args.keep_stack)
    except PortTaken as taken:
        print(f"demo: {taken}")
        return 1
    print(summary)
    return 0 if summary.ok else 1


def run(args: argparse.Namespace) -> int:
    """`order-pipeline run`: the Dagster UI on the local stack until stopped; exits 1 when a landed file is unloaded."""
    return run_ui(stack_from_args(args), options_from_args(args), port=args.ui_port)
