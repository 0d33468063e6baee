"""`order-pipeline`: generate sample orders, convert files, run the local stack, the demo and the UI."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from order_pipeline.commands.generate import GenerateOptions


def _generate_options(args: argparse.Namespace) -> GenerateOptions:
    return GenerateOptions(count=args.count, days=args.days, files_per_day=args.files, seed=args.seed,
                           start_date=date.fromisoformat(args.start_date) if args.start_date else None,
                           update_share=args.update_share, gzip=args.gzip)


def _add_generate_arguments(parser: argparse.ArgumentParser, count: int) -> None:
    parser.add_argument("--count", type=int, default=count, help="distinct orders to generate")
    parser.add_argument("--days", type=int, default=3, help="days the orders are spread over")
    parser.add_argument("--files", type=int, default=2, help="landing files per day")
    parser.add_argument("--start-date", help="first order date, YYYY-MM-DD (default: DAYS days before today)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same files")
    parser.add_argument("--update-share", type=float, default=0.1,
                        help="share of extra records re-emitting an order with a later updated_at and new status")
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz files")


def _local_stack(args: argparse.Namespace):
    from order_pipeline.commands.local_stack import LocalStack

    return LocalStack(state_dir=Path(args.state_dir), port=args.port, dagster_storage=args.dagster_storage)


def _dataset(name: str):
    """The declared dataset of that name, or None after saying which exist."""
    from order_pipeline.datasets import dataset_named

    try:
        return dataset_named(name)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="order-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write deterministic sample order files")
    _add_generate_arguments(generate, 1000)
    target = generate.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="local folder (files go to orders/YYYY/MM/DD/)")
    target.add_argument("--to", help="s3://bucket/landing/orders/ (files go to YYYY/MM/DD/ below it)")

    convert = commands.add_parser("convert", help="validate and convert JSON / JSON Lines / Parquet files")
    convert.add_argument("sources", nargs="+", type=Path)
    convert.add_argument("--out", type=Path, required=True, help="output folder")
    convert.add_argument("--dataset", default="orders", help="a declared dataset (order_pipeline.datasets)")

    replay = commands.add_parser("replay", help="re-drive fixed quarantined or dead-lettered files, exactly once")
    replay.add_argument("uris", nargs="+", help="s3:// URIs of quarantined files, .rejects.jsonl or landing files")
    replay.add_argument("--fixed", type=Path, help="a fixed local copy to land instead (one URI only)")
    replay.add_argument("--dataset", default="orders", help="a declared dataset (order_pipeline.datasets)")

    aws = commands.add_parser("aws", help="AWS resources: create or update them from the configuration")
    aws.add_argument("action", choices=["bootstrap", "policy"])
    aws.add_argument("--dry-run", action="store_true", help="bootstrap: print what would change, change nothing")
    aws.add_argument("--template", type=Path, default=Path("deploy/iam/dagster-process.json"),
                     help="policy: an IAM policy template of deploy/iam/ to fill in for this configuration")
    aws.add_argument("--account-id", help="policy: the AWS account (default: the caller's, from STS)")

    local = commands.add_parser("local", help="the local S3/SNS/SQS endpoint")
    local.add_argument("action", choices=["up", "down", "env"])
    for sub in (local, commands.add_parser("demo", help="headless: land orders, tick the sensor, run, summarise"),
                commands.add_parser("run", help="land orders and serve the Dagster UI with the sensor on")):
        sub.add_argument("--state-dir", default=".local", help="local state folder (git-ignored)")
        sub.add_argument("--port", type=int, default=5050, help="port of the local AWS endpoint")
        sub.add_argument("--dagster-storage", choices=["sqlite", "postgres"], default="sqlite",
                         help="the Dagster instance's storage: SQLite in the state folder, or the PostgreSQL "
                              "that deploy/dagster.yaml reads from DAGSTER_PG_* variables")
        if sub is not local:
            _add_generate_arguments(sub, 600)
    commands.choices["demo"].add_argument("--keep-stack", action="store_true", help="leave the endpoint running")
    commands.choices["run"].add_argument("--ui-port", type=int, default=3000)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "generate":
        from order_pipeline.commands import generate

        options = _generate_options(args)
        if args.out:
            written = generate.write_to_folder(options, args.out)
        else:
            import boto3

            written = generate.write_to_s3(options, boto3.client("s3"), args.to)
        print(f"wrote {len(written)} files")
        return 0
    if args.command == "convert":
        from order_pipeline.commands.convert import convert_paths

        dataset = _dataset(args.dataset)
        if dataset is None:
            return 2
        failed = 0
        for result in convert_paths(dataset, args.sources, args.out):
            print(f"{result.source_name}: {result.status}, rows {result.rows}, rejected {result.rejected_records}"
                  + (f" ({result.file_error})" if result.file_error else ""))
            failed += result.status == "rejected"
        return 1 if failed else 0
    if args.command == "replay":
        import boto3

        from order_pipeline.commands.replay import ReplayError, replay
        from order_pipeline.config import load_settings

        dataset = _dataset(args.dataset)
        if dataset is None:
            return 2
        if args.fixed and len(args.uris) != 1:
            print("--fixed goes with exactly one URI", file=sys.stderr)
            return 2
        settings, client = load_settings(), boto3.client("s3")
        for uri in args.uris:
            try:
                print(f"{uri} -> {replay(client, settings.layout, dataset, uri, args.fixed)} (the sensor loads it)")
            except ReplayError as error:
                print(f"cannot replay: {error}", file=sys.stderr)
                return 1
        return 0
    if args.command == "aws" and args.action == "policy":
        import json

        import boto3

        from order_pipeline.commands.aws_policy import policy_values, render_policy
        from order_pipeline.config import load_settings

        settings = load_settings()
        account = args.account_id or boto3.client("sts", region_name=settings.region).get_caller_identity()["Account"]
        print(json.dumps(render_policy(args.template.read_text(), policy_values(settings, account)), indent=2))
        return 0
    if args.command == "aws":
        from order_pipeline.aws.bootstrap import describe
        from order_pipeline.commands.aws_bootstrap import run_bootstrap
        from order_pipeline.config import load_settings
        from order_pipeline.datasets import DATASETS

        print(describe(run_bootstrap(load_settings(), DATASETS, dry_run=args.dry_run)))
        return 0
    if args.command == "local":
        from order_pipeline.commands import local_stack

        stack = _local_stack(args)
        if args.action == "up":
            created = local_stack.up(stack)
            print(f"local endpoint {stack.endpoint}: bucket {created['bucket']}, topic {created['topic_arn']}, "
                  f"queue {created['queue_url']}")
        elif args.action == "down":
            print("stopped" if local_stack.down(stack) else "nothing to stop")
        else:
            print(local_stack.shell_exports(stack))
        return 0
    if args.command == "demo":
        from order_pipeline.commands.local_run import run_demo

        summary = run_demo(_local_stack(args), _generate_options(args), keep_stack=args.keep_stack)
        print(summary)
        return 0 if summary.ok else 1
    if args.command == "run":
        from order_pipeline.commands.local_run import run_ui

        return run_ui(_local_stack(args), _generate_options(args), port=args.ui_port)
    return 2


if __name__ == "__main__":
    sys.exit(main())
