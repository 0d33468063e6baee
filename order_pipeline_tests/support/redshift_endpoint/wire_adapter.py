"""A TCP proxy that lets the unmodified redshift_connector talk to PostgreSQL as if it were Redshift.

Per client connection it opens one PostgreSQL connection and relays messages in both directions
(a thread each way). What it changes, and nothing else (everything else passes through byte-for-byte):
  * SSLRequest / GSSENCRequest are answered 'N' (no TLS; Redshift would offer TLS).
  * Redshift-only StartupMessage parameters (client_protocol_version, driver_version, ...) are dropped.
    Authentication (SCRAM here) then runs end to end between the driver and PostgreSQL.
  * ParameterStatus server_version is reported as Redshift's "8.0.2" (PostgreSQL's "15.x (Debian ...)"
    does not parse in the driver). server_protocol_version is not reported, so the driver falls back to
    Redshift's base text protocol, as with an old cluster.
  * Query and Parse texts: Redshift-only DDL clauses are stripped (statement_rewrite.py).
  * COPY ... FROM 's3://...': the Parse (or Query) becomes `CALL redshift_emulator.copy_rows(...)` and at
    Bind time the adapter reads S3 and binds the rows as JSON, so the load runs in the client's own
    session and transaction: ROLLBACK undoes it, and a failure aborts the transaction. Its INFO message
    "Load into table ... completed, N record(s) loaded successfully." is kept, as Redshift sends one,
    and the CALL command tag becomes "COPY N".
  * An ErrorResponse raised by that procedure is first written to stl_load_errors/sys_load_error_detail
    over a separate autocommit connection, then forwarded without the emulator's HINT/context fields.
Not reproduced: TLS, IAM/IdP authentication, the binary/extended-metadata protocol versions, Redshift's
own error codes and query ids (pg_last_copy_id), COPY inside a multi-statement simple Query.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import sys
import threading
from typing import BinaryIO

from order_pipeline_tests.support.redshift_endpoint import messages as m
from order_pipeline_tests.support.redshift_endpoint.copy_command import build_payload, columns_literal
from order_pipeline_tests.support.redshift_endpoint.statement_rewrite import (
    CopyStatement,
    parse_copy_from_s3,
    rewrite_ddl,
)
from order_pipeline_tests.support.redshift_endpoint.system_tables import (
    ERROR_HINT_PREFIX,
    LoadError,
    SystemTables,
)

REDSHIFT_SERVER_VERSION = "8.0.2"
REDSHIFT_ONLY_STARTUP = {b"client_protocol_version", b"driver_version", b"os_version",
                         b"driver_discovery_version", b"plugin_name", b"idp_type", b"provider_name",
                         b"token_type", b"identity_namespace", b"idc_client_display_name"}
COPY_CALL = "CALL redshift_emulator.copy_rows($1::text, $2::text[], $3::json)"
_COPY_DONE = re.compile(r"^Load into table '.*' completed, (\d+) record\(s\) loaded successfully\.$",
                        re.DOTALL)


def _dollar_quote(text: str) -> str:
    tag = "$rs$"
    while tag in text:
        tag = f"$rs{secrets.token_hex(4)}$"
    return f"{tag}{text}{tag}"


class ClientSession:
    """One client connection and its PostgreSQL connection."""

    def __init__(self, client: socket.socket, upstream: tuple[str, int], tables: SystemTables) -> None:
        self.client = client
        self.upstream = upstream
        self.tables = tables
        self.server: socket.socket | None = None
        self.database = ""
        self.backend_pid = 0
        self.copy_statements: dict[bytes, CopyStatement] = {}
        self.copy_rows: int | None = None

    def close(self) -> None:
        for sock in (self.client, self.server):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def run(self) -> None:
        try:
            client_in = self.client.makefile("rb")
            if self._startup(client_in):
                assert self.server is not None
                pump = threading.Thread(target=self._relay_server, args=(self.server.makefile("rb"),),
                                        daemon=True, name="redshift-adapter-server")
                pump.start()
                self._relay_client(client_in)
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            self.close()

    # -- startup ---------------------------------------------------------------------------------
    def _startup(self, client_in: BinaryIO) -> bool:
        body = m.read_untyped(client_in)
        while struct.unpack("!i", body[:4])[0] in (m.SSL_REQUEST, m.GSSENC_REQUEST):
            self.client.sendall(b"N")
            body = m.read_untyped(client_in)
        self.server = socket.create_connection(self.upstream)
        self.server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if struct.unpack("!i", body[:4])[0] == m.CANCEL_REQUEST:
            self.server.sendall(struct.pack("!i", len(body) + 4) + body)
            return False
        protocol, pairs = m.parse_startup(body)
        pairs = [(name, value) for name, value in pairs if name not in REDSHIFT_ONLY_STARTUP]
        settings = dict(pairs)
        self.database = (settings.get(b"database") or settings.get(b"user") or b"").decode()
        self.tables.ensure_installed(self.database)
        self.server.sendall(m.build_startup(protocol, pairs))
        return True

    # -- client -> server --------------------------------------------------------------------------
    def _relay_client(self, client_in: BinaryIO) -> None:
        assert self.server is not None
        while True:
            code, body = m.read_typed(client_in)
            if code == b"Q":
                out = self._query(body)
            elif code == b"P":
                out = self._parse(body)
            elif code == b"B":
                out = self._bind(body)
            else:
                if code == b"C" and body[:1] == b"S":
                    self.copy_statements.pop(m.read_cstring(body, 1)[0], None)
                out = m.typed(code, body)
            self.server.sendall(out)
            if code == b"X":
                return

    def _query(self, body: bytes) -> bytes:
        sql = body[:-1].decode("utf-8")
        copy = parse_copy_from_s3(sql)
        if copy is None:
            rewritten = rewrite_ddl(sql)
            return m.typed(b"Q", body) if rewritten == sql else m.typed(b"Q", m.cstring(rewritten))
        columns = columns_literal(copy.columns)
        call = (f"CALL redshift_emulator.copy_rows({_dollar_quote(copy.table)}, "
                f"{'NULL' if columns is None else _dollar_quote(columns)}::text[], "
                f"{_dollar_quote(build_payload(copy))}::json)")
        return m.typed(b"Q", m.cstring(call))

    def _parse(self, body: bytes) -> bytes:
        name, sql, param_types = m.parse_parse(body)
        copy = parse_copy_from_s3(sql)
        if copy is not None:
            self.copy_statements[name] = copy
            return m.build_parse(name, COPY_CALL)
        self.copy_statements.pop(name, None)
        rewritten = rewrite_ddl(sql)
        return m.typed(b"P", body) if rewritten == sql else m.build_parse(name, rewritten, param_types)

    def _bind(self, body: bytes) -> bytes:
        portal, statement = m.parse_bind_names(body)
        copy = self.copy_statements.get(statement)
        if copy is None:
            return m.typed(b"B", body)
        # S3 is read here, at execution time, so re-running a cached COPY statement sees current objects.
        params = [copy.table, columns_literal(copy.columns), build_payload(copy)]
        return m.build_bind(portal, statement, params)

    # -- server -> client --------------------------------------------------------------------------
    def _relay_server(self, server_in: BinaryIO) -> None:
        try:
            while True:
                code, body = m.read_typed(server_in)
                self.client.sendall(m.typed(code, self._server_message(code, body)))
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            self.close()

    def _server_message(self, code: bytes, body: bytes) -> bytes:
        if code == b"S" and m.read_cstring(body, 0)[0] == b"server_version":
            return m.cstring("server_version") + m.cstring(REDSHIFT_SERVER_VERSION)
        if code == b"K":
            self.backend_pid = struct.unpack("!i", body[:4])[0]
        elif code == b"N":
            fields = m.parse_fields(body)
            done = _COPY_DONE.match(dict(fields).get("M", ""))
            if done and "copy_rows" in dict(fields).get("W", ""):
                self.copy_rows = int(done.group(1))
                return m.build_fields([(k, v) for k, v in fields if k not in "WHLFR"])
        elif code == b"C" and body == b"CALL\0" and self.copy_rows is not None:
            body, self.copy_rows = m.cstring(f"COPY {self.copy_rows}"), None
        elif code == b"E":
            self.copy_rows = None
            return self._load_error(body)
        elif code == b"Z":
            self.copy_rows = None
        return body

    def _load_error(self, body: bytes) -> bytes:
        fields = m.parse_fields(body)
        hint = dict(fields).get("H", "")
        if not hint.startswith(ERROR_HINT_PREFIX):
            if "redshift_emulator.copy_rows" in dict(fields).get("W", ""):  # e.g. the table does not exist
                return m.build_fields([(k, v) for k, v in fields if k not in "WLFR"])
            return body
        try:
            detail = json.loads(hint[len(ERROR_HINT_PREFIX):])
            self.tables.record(LoadError(
                session=self.backend_pid, database=self.database, filename=str(detail.get("filename", "")),
                line_number=int(detail.get("line_number", 0)), colname=str(detail.get("colname", "")),
                err_code=int(detail.get("err_code", 0)), err_reason=str(detail.get("err_reason", ""))))
        except Exception as error:  # noqa: BLE001 - a logging failure must not break the client's session
            print(f"redshift endpoint: could not record a load error: {error!r}", file=sys.stderr)
        return m.build_fields([(k, v) for k, v in fields if k not in "HWLFR"])


class WireAdapter:
    """Listens on host:port and serves each client with a ClientSession thread."""

    def __init__(self, host: str, port: int, upstream: tuple[str, int], tables: SystemTables) -> None:
        self.listener = socket.create_server((host, port))
        self.host, self.port = self.listener.getsockname()[:2]
        self.upstream = upstream
        self.tables = tables
        self.sessions: set[ClientSession] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="redshift-adapter-accept")

    def start(self) -> WireAdapter:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # listener closed
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = ClientSession(client, self.upstream, self.tables)
            with self._lock:
                self.sessions.add(session)
            threading.Thread(target=self._serve, args=(session,), daemon=True,
                             name="redshift-adapter-client").start()

    def _serve(self, session: ClientSession) -> None:
        try:
            session.run()
        finally:
            with self._lock:
                self.sessions.discard(session)

    def stop(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocking accept()
        except OSError:
            pass
        self.listener.close()
        with self._lock:
            sessions = list(self.sessions)
        for session in sessions:
            session.close()
        self._thread.join(timeout=5)
