"""A local Redshift-compatible endpoint: a throwaway PostgreSQL cluster behind the wire adapter."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redshift_connector

from order_pipeline.commands.moto_server import free_port
from order_pipeline_tests.redshift_endpoint.postgres_server import PostgresServer, start_postgres
from order_pipeline_tests.redshift_endpoint.system_tables import SystemTables
from order_pipeline_tests.redshift_endpoint.wire_adapter import WireAdapter

DEFAULT_USER = "awsuser"  # Redshift's default admin user name
DEFAULT_DATABASE = "dev"  # Redshift's default database name
DEFAULT_PASSWORD = "Local-Redshift-1"


@dataclass
class RedshiftEndpoint:
    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    postgres: PostgresServer = field(repr=False)
    adapter: WireAdapter = field(repr=False)
    tables: SystemTables = field(repr=False)
    owned_directory: Path | None = field(default=None, repr=False)  # removed on stop()

    def connect(self, **kwargs: Any) -> redshift_connector.Connection:
        settings: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
            "ssl": False,
        }
        settings.update(kwargs)
        return redshift_connector.connect(**settings)

    def create_database(self, name: str, isolation: str = "serializable", *, serverless: bool = False) -> None:
        """A database whose transactions run at Redshift's SERIALIZABLE or SNAPSHOT isolation (PostgreSQL's
        SERIALIZABLE or REPEATABLE READ): the emulation of `CREATE DATABASE name ISOLATION LEVEL ...`;
        `serverless`: one behaving as Redshift Serverless's (no STL tables, SYS views number queries their way)."""
        self.tables.create_database(name, isolation, serverless=serverless)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        """The statements clients send while the block runs, as sent (before the endpoint rewrites them)."""
        with self.adapter.recording() as statements:
            yield statements

    @contextmanager
    def slowed(self, pattern: str, seconds: float) -> Iterator[None]:
        """Statements matching the regex `pattern` take `seconds` longer on the server while the block runs."""
        with self.adapter.slowed(pattern, seconds):
            yield

    def stop(self) -> None:
        self.adapter.stop()
        self.tables.close()
        self.postgres.stop()
        if self.owned_directory is not None:
            shutil.rmtree(self.owned_directory, ignore_errors=True)


def start_endpoint(
    port: int = 0,
    data_dir: Path | None = None,
    host: str = "127.0.0.1",
    user: str = DEFAULT_USER,
    password: str = DEFAULT_PASSWORD,
    database: str = DEFAULT_DATABASE,
) -> RedshiftEndpoint:
    """Start PostgreSQL on a free loopback port and the adapter on `port` (0: any free port).

    Without `data_dir` the cluster lives in a fresh temporary directory that stop() deletes; with it,
    an existing cluster there is reused (initdb runs only once) and is kept.
    """
    owned = None
    if data_dir is None:
        owned = data_dir = Path(tempfile.mkdtemp(prefix="redshift-endpoint-"))
    postgres = start_postgres(data_dir, free_port(host), user, password, host=host)
    try:
        tables = SystemTables(postgres)
        tables.create_database(database, "serializable")
        adapter = WireAdapter(host, port, (host, postgres.port), tables).start()
    except BaseException:
        postgres.stop()
        raise
    return RedshiftEndpoint(host, adapter.port, database, user, password, postgres, adapter, tables, owned)
