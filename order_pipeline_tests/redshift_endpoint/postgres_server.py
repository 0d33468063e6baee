"""A throwaway PostgreSQL cluster on loopback: initdb into a directory, start `postgres`, stop it.

initdb and postgres refuse to run as root, so when we are root they run as the `postgres` OS user
(or `nobody` when that user does not exist) and the data directory is handed to that user.
Password authentication is md5, as Redshift's: redshift_connector's SCRAM path mis-parses PostgreSQL's
SASL mechanism list (it keeps an empty trailing name), so the password is stored md5-hashed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

PG_BIN_ENV = "ORDER_PIPELINE_PG_BIN"


def find_bin_dir() -> Path:
    """Where initdb and postgres are: $ORDER_PIPELINE_PG_BIN, newest /usr/lib/postgresql/*/bin, PATH."""
    candidates = [os.environ.get(PG_BIN_ENV, "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL server binaries not found: `apt-get install -y postgresql` "
        f"or set {PG_BIN_ENV} to the directory holding initdb and postgres"
    )


def service_account() -> pwd.struct_passwd | None:
    """The OS user to run PostgreSQL as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` OS user exists")


def _hand_over(path: Path, account: pwd.struct_passwd | None) -> None:
    if account is None:
        return
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, account.pw_uid, account.pw_gid)


def _run_as(account: pwd.struct_passwd | None) -> dict[str, object]:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """A running cluster. `stop()` is idempotent."""

    directory: Path
    host: str
    port: int
    superuser: str
    password: str = field(repr=False)
    process: subprocess.Popen = field(repr=False)

    def conninfo(self, database: str) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=self.superuser, password=self.password, dbname=database
        )

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(database), autocommit=True)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # "fast" shutdown: roll back sessions, then exit
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def start_postgres(
    directory: Path, port: int, superuser: str, password: str, host: str = "127.0.0.1", timeout: float = 60.0
) -> PostgresServer:
    """initdb `directory/pgdata` unless it already holds a cluster, then start postgres on host:port."""
    bin_dir = find_bin_dir()
    account = service_account()
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "pgdata"
    if not (data / "PG_VERSION").exists():
        pwfile = directory / "pwfile"
        pwfile.write_text(password + "\n")
        _hand_over(directory, account)
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                superuser,
                f"--pwfile={pwfile}",
                "--auth=md5",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            **_run_as(account),  # type: ignore[arg-type]
        )
        pwfile.unlink()
    _hand_over(directory, account)
    log = open(directory / "postgres.log", "ab")  # noqa: SIM115 - owned by the child
    settings = {
        "listen_addresses": host,
        "port": str(port),
        "unix_socket_directories": str(directory),
        "timezone": "UTC",
        "log_timezone": "UTC",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "100",
        "password_encryption": "md5",
        # SERIALIZABLE unless a database says otherwise (system_tables.create_database: SNAPSHOT is
        # REPEATABLE READ); the adapter reports PostgreSQL's 40001 as Redshift's error 1023.
        "default_transaction_isolation": "serializable",
    }
    command = [str(bin_dir / "postgres"), "-D", str(data)]
    for name, value in settings.items():
        command += ["-c", f"{name}={value}"]
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **_run_as(account)
    )  # type: ignore[arg-type]
    server = PostgresServer(directory, host, port, superuser, password, process)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with code {process.returncode}; see {directory}/postgres.log")
        try:
            with server.connect("postgres") as conn:
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(superuser), sql.Literal(password))
                )  # re-hash as md5
            return server
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"postgres did not accept connections on {host}:{port} within {timeout:.0f}s"
                ) from error
            time.sleep(0.1)
