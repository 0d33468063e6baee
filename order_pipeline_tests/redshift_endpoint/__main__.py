"""Serve a local Redshift-compatible endpoint until Ctrl-C.

    python -m order_pipeline_tests.redshift_endpoint --port 5439 --data-dir /tmp/redshift-local

COPY reads S3 through boto3, so export AWS_ENDPOINT_URL (and credentials) for the S3 endpoint to load from.
"""

from __future__ import annotations

import argparse
import re
import signal
import threading
from pathlib import Path

from order_pipeline_tests.redshift_endpoint.endpoint import (
    DEFAULT_DATABASE,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    start_endpoint,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5439)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the PostgreSQL cluster here (reused on the next start); default: a temp dir",
    )
    parser.add_argument("--user", default=DEFAULT_USER)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--slow",
        action="append",
        default=[],
        metavar="REGEX=SECONDS",
        help="statements matching REGEX take SECONDS longer on the server (e.g. '^MERGE=70'); repeatable",
    )
    args = parser.parse_args(argv)
    endpoint = start_endpoint(args.port, args.data_dir, args.host, args.user, args.password, args.database)
    for option in args.slow:
        pattern, _, seconds = option.rpartition("=")
        endpoint.adapter.slow_statements.append((re.compile(pattern, re.IGNORECASE), float(seconds)))
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # explicit: a background job may inherit SIGINT ignored
        signal.signal(signum, lambda *_: stopped.set())
    print(
        f"Redshift-compatible endpoint ready: host={endpoint.host} port={endpoint.port} "
        f"database={endpoint.database} user={endpoint.user} password={endpoint.password} ssl=False",
        flush=True,
    )
    try:
        while not stopped.wait(timeout=1.0):
            pass
    finally:
        endpoint.stop()
        print("Redshift-compatible endpoint stopped", flush=True)


if __name__ == "__main__":
    main()
