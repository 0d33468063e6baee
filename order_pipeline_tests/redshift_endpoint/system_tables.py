"""The endpoint's objects inside each database, and the catalog facts the adapter looks up.

* `stl_load_errors` (provisioned) and `sys_load_error_detail` (Serverless) live in pg_catalog so, as on Redshift,
  they resolve whatever the session's search_path is. Rows are written from a separate autocommit connection,
  so they survive the loading session's ROLLBACK, as Redshift's do. CHAR(n) columns come back blank-padded.
* `pg_last_copy_id()`: the query id of the session's last COPY (-1 before any), as on Redshift.
* A Serverless database (`create_database(name, serverless=True)`) has no STL tables, as Redshift Serverless has
  none, and its `sys_load_error_detail.query_id` is not the number `pg_last_copy_id()` returns (the SYS views number
  queries their own way), so only the session and the file find a COPY's rows there.
* `json_parse(text)` / `json_serialize(super)`: Redshift's SUPER functions over jsonb (SUPER is stored as jsonb).
* Byte-checked VARCHAR domains `redshift_emulator.varchar_<n>` (statement_rewrite), created on first use by
  `varchar_domains_sql`, run in the client's own transaction: created elsewhere after that transaction's
  snapshot, a domain would be invisible to its catalog views (information_schema.columns would drop columns).
* `redshift_emulator.copy_rows`: reports a COPY's outcome to the client (copy_command does the loading).
* Isolation: a database is SERIALIZABLE (Redshift's provisioned default until 2024) unless created with
  `isolation="snapshot"`, which maps Redshift's SNAPSHOT ISOLATION to PostgreSQL's REPEATABLE READ.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from order_pipeline_tests.redshift_endpoint.postgres_server import PostgresServer

_TABLES = """
CREATE TABLE IF NOT EXISTS pg_catalog.stl_load_errors (
    userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
    filename char(256), line_number bigint, colname char(127), type char(10), col_length char(10),
    position integer, raw_line char(1024), raw_field_value char(1024), err_code integer,
    err_reason char(100), is_partial integer, start_offset bigint);
CREATE TABLE IF NOT EXISTS pg_catalog.sys_load_error_detail (
    user_id integer, query_id bigint, transaction_id bigint, session_id integer, database_name char(64),
    start_time timestamp, table_id integer, file_name char(256), line_number bigint, column_name char(127),
    column_type char(10), column_length char(10), position integer, error_code integer,
    error_message char(512), raw_line char(1024), raw_field_value char(1024));
CREATE SEQUENCE IF NOT EXISTS pg_catalog.redshift_emulator_query_id;
"""

ERROR_HINT_PREFIX = "redshift_emulator_load_error:"
SERVERLESS_QUERY_ID_OFFSET = 7_000_000  # sys_load_error_detail's query_id in a Serverless database, past the COPY's
ISOLATION_LEVELS = {"serializable": "serializable", "snapshot": "repeatable read"}

_OBJECTS = r"""
CREATE SCHEMA IF NOT EXISTS redshift_emulator;
CREATE TABLE IF NOT EXISTS redshift_emulator.last_copy (pid integer PRIMARY KEY, query_id bigint NOT NULL);
CREATE OR REPLACE FUNCTION pg_catalog.pg_last_copy_id() RETURNS integer LANGUAGE sql STABLE AS
    $f$ SELECT coalesce((SELECT query_id FROM redshift_emulator.last_copy WHERE pid = pg_backend_pid()), -1)::int $f$;
CREATE OR REPLACE FUNCTION pg_catalog.json_parse(text) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT AS
    $f$ SELECT $1::jsonb $f$;
CREATE OR REPLACE FUNCTION pg_catalog.json_serialize(jsonb) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS
    $f$ SELECT $1::text $f$;
-- payload: {"error": {...}} raises it (the adapter records it and strips the HINT), {"loaded": n} reports n rows.
CREATE OR REPLACE PROCEDURE redshift_emulator.copy_rows(target text, target_columns text[], payload json)
LANGUAGE plpgsql AS $procedure$
BEGIN
    IF payload->'error' IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = coalesce(payload->'error'->>'sqlstate', 'XX000'),
            MESSAGE = payload->'error'->>'message', DETAIL = coalesce(payload->'error'->>'detail', ''),
            HINT = 'redshift_emulator_load_error:' || (payload->'error')::text;
    END IF;
    RAISE INFO 'Load into table ''%'' completed, % record(s) loaded successfully.', target, payload->>'loaded';
END
$procedure$;
"""


def varchar_domains_sql(sizes: Iterable[int]) -> str:
    """A DO block creating the byte-checked VARCHAR domains that do not exist yet (concurrent creators welcome)."""
    blocks = []
    for size in sorted(set(sizes)):
        name = f"redshift_emulator.varchar_{int(size)}"
        blocks.append(
            f"BEGIN IF to_regtype('{name}') IS NULL THEN CREATE DOMAIN {name} AS varchar({int(size)}) "
            f"CHECK (octet_length(VALUE) <= {int(size)}); END IF; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;"
        )
    return "DO $domains$ BEGIN " + " ".join(blocks) + " END $domains$"


@dataclass(frozen=True)
class LoadError:
    """One row for stl_load_errors / sys_load_error_detail."""

    session: int
    database: str
    query_id: int
    filename: str
    line_number: int
    colname: str
    err_code: int
    err_reason: str


class SystemTables:
    """Per database: installs the endpoint's objects, and answers the adapter over one autocommit connection."""

    def __init__(self, server: PostgresServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._installed: set[str] = set()
        self._connections: dict[str, psycopg.Connection] = {}
        self._serverless: set[str] = set()

    def _connection(self, database: str) -> psycopg.Connection:
        conn = self._connections.get(database)
        if conn is None or conn.closed:
            conn = self._connections[database] = self._server.connect(database)
        return conn

    def ensure_installed(self, database: str) -> None:
        with self._lock:
            if database in self._installed:
                return
            try:
                conn = self._connection(database)
            except psycopg.OperationalError:
                return  # no such database: the client's own startup will fail with PostgreSQL's error
            conn.execute("SET allow_system_table_mods = on")
            conn.execute(_TABLES)
            if database in self._serverless:
                conn.execute("DROP TABLE pg_catalog.stl_load_errors")
            conn.execute("RESET allow_system_table_mods")
            conn.execute(_OBJECTS)
            self._installed.add(database)

    def create_database(self, name: str, isolation: str = "serializable", *, serverless: bool = False) -> None:
        """A database whose transactions run at `isolation` ("serializable" or "snapshot"), as Redshift's
        `CREATE DATABASE name ISOLATION LEVEL ...` makes one; `serverless`: as Redshift Serverless (no STL tables,
        SYS query ids of their own). Set on the database's first creation in this endpoint."""
        if serverless:
            self._serverless.add(name)
        with self._lock, self._server.connect("postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET default_transaction_isolation = {}").format(
                    sql.Identifier(name), sql.Literal(ISOLATION_LEVELS[isolation])
                )
            )
        self.ensure_installed(name)

    def next_copy_id(self, database: str, session: int) -> int:
        """A new query id for a COPY of `session`, which pg_last_copy_id() then returns in that session."""
        with self._lock:
            conn = self._connection(database)
            row = conn.execute("SELECT nextval('pg_catalog.redshift_emulator_query_id')").fetchone()
            query_id = int(row[0]) if row else 0
            conn.execute(
                "INSERT INTO redshift_emulator.last_copy (pid, query_id) VALUES (%s, %s) "
                "ON CONFLICT (pid) DO UPDATE SET query_id = EXCLUDED.query_id",
                (session, query_id),
            )
        return query_id

    def record(self, error: LoadError) -> None:
        self.ensure_installed(error.database)
        serverless = error.database in self._serverless
        with self._lock:
            conn = self._connection(error.database)
            if not serverless:
                conn.execute(
                    "INSERT INTO pg_catalog.stl_load_errors (userid, slice, tbl, starttime, session, query, "
                    "filename, line_number, colname, type, col_length, position, raw_line, raw_field_value, "
                    "err_code, err_reason, is_partial, start_offset) VALUES (0, 0, 0, now() AT TIME ZONE 'UTC', "
                    "%s, %s, left(%s, 256), %s, left(%s, 127), '', '', 0, '', '', %s, left(%s, 100), 0, 0)",
                    (
                        error.session,
                        error.query_id,
                        error.filename,
                        error.line_number,
                        error.colname,
                        error.err_code,
                        error.err_reason,
                    ),
                )
            sys_query_id = error.query_id + (SERVERLESS_QUERY_ID_OFFSET if serverless else 0)
            conn.execute(
                "INSERT INTO pg_catalog.sys_load_error_detail (user_id, query_id, transaction_id, "
                "session_id, database_name, start_time, table_id, file_name, line_number, column_name, "
                "column_type, column_length, position, error_code, error_message, raw_line, raw_field_value) "
                "VALUES "
                "(0, %s, 0, %s, left(%s, 64), now() AT TIME ZONE 'UTC', 0, left(%s, 256), %s, left(%s, 127), "
                "'', '', 0, %s, left(%s, 512), '', '')",
                (
                    sys_query_id,
                    error.session,
                    error.database,
                    error.filename,
                    error.line_number,
                    error.colname,
                    error.err_code,
                    error.err_reason,
                ),
            )

    def close(self) -> None:
        with self._lock:
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()
