"""`order-pipeline`: generate sample orders, convert files, run the local stack, the demo and the UI.

This module only parses: each subcommand names its handler (`module:function`, a `run(args) -> int` in
`order_pipeline/commands/`), imported when that subcommand runs, so `order-pipeline --help` imports nothing heavy.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import date
from pathlib import Path
from typing import Any

COMMANDS = "order_pipeline.commands"


def _add_generate_arguments(parser: argparse.ArgumentParser, count: int) -> None:
    parser.add_argument("--count", type=int, default=count, help="distinct orders to generate")
    parser.add_argument("--days", type=int, default=3, help="days the orders are spread over")
    parser.add_argument("--files", type=int, default=2, help="landing files per day")
    parser.add_argument("--start-date", help="first order date, YYYY-MM-DD (default: DAYS days before today)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same files")
    parser.add_argument(
        "--update-share",
        type=float,
        default=0.1,
        help="share of extra records re-emitting an order with a later updated_at and new status",
    )
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz files")


def _add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", default=".local", help="local state folder (git-ignored)")
    parser.add_argument("--port", type=int, default=5050, help="port of the local AWS endpoint")
    parser.add_argument(
        "--dagster-storage",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="the Dagster instance's storage: SQLite in the state folder, or the PostgreSQL "
        "that deploy/dagster.yaml reads from DAGSTER_PG_* variables",
    )


def _command(commands: argparse._SubParsersAction, name: str, handler: str, **kwargs: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, **kwargs)
    parser.set_defaults(handler=f"{COMMANDS}.{handler}")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="order-pipeline", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    generate = _command(commands, "generate", "generate:run", help="write deterministic sample order files")
    _add_generate_arguments(generate, 1000)
    target = generate.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="local folder (files go to orders/YYYY/MM/DD/)")
    target.add_argument("--to", help="s3://bucket/landing/orders/ (files go to YYYY/MM/DD/ below it)")

    convert = _command(
        commands, "convert", "convert:run", help="validate and convert JSON / JSON Lines / Parquet files"
    )
    convert.add_argument("sources", nargs="+", type=Path)
    convert.add_argument("--out", type=Path, required=True, help="output folder")
    convert.add_argument("--dataset", default="orders", help="a declared dataset (order_pipeline.datasets)")

    replay = _command(
        commands, "replay", "replay:run", help="re-drive fixed quarantined or dead-lettered files, exactly once"
    )
    replay.add_argument("uris", nargs="+", help="s3:// URIs of quarantined files, .rejects.jsonl or landing files")
    replay.add_argument("--fixed", type=Path, help="a fixed local copy to land instead (one URI only)")
    replay.add_argument("--dataset", default="orders", help="a declared dataset (order_pipeline.datasets)")

    rebuild = _command(
        commands, "rebuild-derived", "rebuild_derived:run", help="rebuild derived tables whole, in place (repair)"
    )
    rebuild.add_argument("--dataset", help="only this declared dataset's derived tables (default: every dataset)")
    rebuild.add_argument("--table", help="only this derived table, e.g. daily_order_summary")
    status = _command(
        commands,
        "status",
        "status:run",
        help="per landing date: files landed, loaded, quarantined, dead-lettered, not loaded; rows; lag "
        "(exits 1 while a file older than the reconcile's minimum age is not loaded)",
    )
    status.add_argument("--dataset", help="one declared dataset (default: all)")
    status.add_argument(
        "--since", type=date.fromisoformat, help="first landing date, YYYY-MM-DD (default: the reconcile's depth)"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")

    aws = commands.add_parser("aws", help="AWS resources: create or update them from the configuration")
    aws_actions = aws.add_subparsers(dest="action", required=True)
    bootstrap = _command(
        aws_actions,
        "bootstrap",
        "aws_bootstrap:run",
        help="create or update the queues, notification, topic and alarms (idempotent)",
    )
    bootstrap.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    bootstrap.add_argument(
        "--email", help="subscribe this e-mail address to the notifications topic (alarms and pipeline events)"
    )
    policy = _command(aws_actions, "policy", "aws_policy:run", help="an IAM policy of deploy/iam/, filled in")
    policy.add_argument(
        "--template",
        type=Path,
        default=Path("deploy/iam/dagster-process.json"),
        help="an IAM policy template of deploy/iam/ to fill in for this configuration",
    )
    policy.add_argument("--account-id", help="the AWS account (default: the caller's, from STS)")

    local = _command(commands, "local", "local_stack:run", help="the local S3/SNS/SQS endpoint")
    local.add_argument("action", choices=["up", "down", "env"])
    _add_stack_arguments(local)

    demo = _command(commands, "demo", "local_run:demo", help="headless: land orders, tick the sensor, run, summarise")
    _add_stack_arguments(demo)
    _add_generate_arguments(demo, 600)
    demo.add_argument("--keep-stack", action="store_true", help="leave the endpoint running")

    run = _command(commands, "run", "local_run:run", help="land orders and serve the Dagster UI with the sensor on")
    _add_stack_arguments(run)
    _add_generate_arguments(run, 600)
    run.add_argument("--ui-port", type=int, default=3000)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, _, function = args.handler.partition(":")
    return getattr(importlib.import_module(module), function)(args)


if __name__ == "__main__":
    sys.exit(main())
