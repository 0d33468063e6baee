"""A TCP proxy that lets the unmodified redshift_connector talk to PostgreSQL as if it were Redshift.

Per client connection it opens one PostgreSQL connection and relays messages in both directions (a thread each
way). What it changes (everything else passes through byte for byte):
  * SSLRequest / GSSENCRequest are answered 'N' (no TLS; Redshift would offer TLS).
  * Redshift-only StartupMessage parameters (client_protocol_version, driver_version, ...) are dropped.
    Authentication (md5) then runs end to end between the driver and PostgreSQL.
  * ParameterStatus server_version is reported as Redshift's "8.0.2" (PostgreSQL's does not parse in the
    driver). server_protocol_version is not reported, so the driver uses Redshift's base text protocol.
  * Query and Parse texts: a statement Redshift refuses (redshift_rules) is refused with Redshift's error; the
    others are rewritten (statement_rewrite: identifier folding, byte-checked VARCHARs, Redshift-only clauses;
    super_paths: navigation into SUPER values).
  * COPY ... FROM 's3://...': the Parse (or Query) becomes `CALL redshift_emulator.copy_rows(...)`; when it
    runs, the adapter first loads the files through PostgreSQL's COPY FROM STDIN on the same session
    (copy_command), so ROLLBACK undoes the load, then the CALL reports the outcome. Its INFO message
    "Load into table ... completed, N record(s) loaded successfully." is kept, as Redshift sends one, and the
    CALL command tag becomes "COPY N". A failure is written to stl_load_errors/sys_load_error_detail first.
  * TRUNCATE inside a transaction block commits that transaction first, as Redshift's TRUNCATE does.
  * Errors: a serialization failure becomes Redshift's error 1023, a byte-length check becomes
    `value too long for type character varying(n)` (error_shapes).
Not reproduced: TLS, IAM/IdP authentication, the binary/extended-metadata protocol versions, COPY inside a
multi-statement simple Query, `SET enable_case_sensitive_identifier`.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from order_pipeline_tests.redshift_endpoint import messages as m
from order_pipeline_tests.redshift_endpoint.copy_command import run_copy
from order_pipeline_tests.redshift_endpoint.error_shapes import (
    redshift_shape,
    refused_statement,
    rejected_token,
    rejection_fields,
)
from order_pipeline_tests.redshift_endpoint.injection import ReplyRouter, Result, absorb, collect
from order_pipeline_tests.redshift_endpoint.redshift_rules import Rejection, check_statement
from order_pipeline_tests.redshift_endpoint.statement_rewrite import (
    CopyStatement,
    parse_copy_from_s3,
    rewrite_statement,
)
from order_pipeline_tests.redshift_endpoint.super_paths import rewrite_paths
from order_pipeline_tests.redshift_endpoint.system_tables import (
    ERROR_HINT_PREFIX,
    LoadError,
    SystemTables,
    varchar_domains_sql,
)

REDSHIFT_SERVER_VERSION = "8.0.2"
REDSHIFT_ONLY_STARTUP = {
    b"client_protocol_version",
    b"driver_version",
    b"os_version",
    b"driver_discovery_version",
    b"plugin_name",
    b"idp_type",
    b"provider_name",
    b"token_type",
    b"identity_namespace",
    b"idc_client_display_name",
}
COPY_CALL = "CALL redshift_emulator.copy_rows($1::text, $2::text[], $3::json)"
_COPY_DONE = re.compile(r"^Load into table '.*' completed, (\d+) record\(s\) loaded successfully\.$", re.DOTALL)
_TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.IGNORECASE)
_CHUNK_BYTES = 1 << 20


def _dollar_quote(text: str) -> str:
    tag = "$rs$"
    while tag in text:
        tag = f"$rs{secrets.token_hex(4)}$"
    return f"{tag}{text}{tag}"


class ClientSession:
    """One client connection and its PostgreSQL connection."""

    def __init__(
        self, client: socket.socket, upstream: tuple[str, int], tables: SystemTables, adapter: WireAdapter
    ) -> None:
        self.client = client
        self.upstream = upstream
        self.tables = tables
        self.adapter = adapter
        self.server: socket.socket | None = None
        self.database = ""
        self.backend_pid = 0
        self.tx_status = "I"
        self.router = ReplyRouter()
        self.copy_statements: dict[bytes, CopyStatement] = {}
        self.truncate_statements: set[bytes] = set()
        self.statement_texts: dict[bytes, str] = {}  # prepared statement -> its text, for slow_statements
        self.rejections: dict[str, Rejection] = {}
        self.copy_rows: int | None = None

    def close(self) -> None:
        self.router.close()
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
                pump = threading.Thread(
                    target=self._relay_server,
                    args=(self.server.makefile("rb"),),
                    daemon=True,
                    name="redshift-adapter-server",
                )
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

    # -- injected statements (copy_command.CopySession) ----------------------------------------------
    def inject_query(self, sql: str) -> Result:
        """Run `sql` on this session now; its replies never reach the client."""
        assert self.server is not None
        exchange = self.router.expect_exchange()
        self.server.sendall(m.query(sql))
        return collect(exchange)

    def inject_copy(self, sql: str, chunks: Iterator[bytes]) -> Result:
        """`COPY ... FROM STDIN` on this session, fed with `chunks`; a failing iterator aborts it (CopyFail)."""
        assert self.server is not None
        exchange = self.router.expect_exchange()
        self.server.sendall(m.query(sql))
        result = Result()
        code, body = exchange.next()
        if code != b"G":  # no CopyInResponse: the COPY itself failed
            absorb(result, code, body)
            return result if code == b"Z" else collect(exchange, result)
        try:
            pending = bytearray()
            for chunk in chunks:
                pending += chunk
                if len(pending) >= _CHUNK_BYTES:
                    self.server.sendall(m.typed(b"d", bytes(pending)))
                    pending.clear()
            if pending:
                self.server.sendall(m.typed(b"d", bytes(pending)))
            self.server.sendall(m.typed(b"c", b""))
        except BaseException:
            self.server.sendall(m.typed(b"f", m.cstring("COPY source failed")))
            collect(exchange, result)
            raise
        return collect(exchange, result)

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
                    name = m.read_cstring(body, 1)[0]
                    self.copy_statements.pop(name, None)
                    self.truncate_statements.discard(name)
                out = m.typed(code, body)
            if code in (b"Q", b"S"):
                self.router.expect_client()
            self.server.sendall(out)
            if code == b"X":
                return

    def _refuse(self, rejection: Rejection) -> str:
        token = secrets.token_hex(6)
        self.rejections[token] = rejection
        return refused_statement(token)

    def _rewrite(self, sql: str) -> str:
        """The PostgreSQL text to run for a client's statement (or a refusal placeholder)."""
        rejection = check_statement(sql, in_transaction=self.tx_status == "T")
        if rejection is not None:
            return self._refuse(rejection)
        rewritten = rewrite_statement(sql)
        if rewritten.varchar_sizes and self.tx_status != "E":
            self.inject_query(varchar_domains_sql(rewritten.varchar_sizes))
        text = rewritten.sql
        if "." in text and re.match(r"\s*(SELECT|WITH)\b", text, re.IGNORECASE):
            text = rewrite_paths(text, self._super_columns)
        return text

    def _super_columns(self, names: set[str]) -> set[str]:
        """Which of `names` are SUPER (jsonb) columns, asked in the client's session: its own new tables count."""
        if self.tx_status == "E" or not names:
            return set()
        listed = ", ".join("'" + name.replace("'", "''") + "'" for name in sorted(names))
        found = self.inject_query(
            f"SELECT DISTINCT attname FROM pg_attribute WHERE atttypid = 'jsonb'::regtype "
            f"AND attnum > 0 AND NOT attisdropped AND attname IN ({listed})"
        )
        return {row[0] for row in found.rows if row[0]}

    def _copy_call(self, copy: CopyStatement) -> list[str | None]:
        """Load the COPY's files now; the parameters of COPY_CALL that report the outcome."""
        query_id = self.tables.next_copy_id(self.database, self.backend_pid)
        return [copy.table.strip('"'), None, run_copy(copy, self, query_id)]

    def _slow_down(self, sql: str) -> None:
        """A statement the adapter was told to slow down: the server sleeps first, in the client's session and
        transaction (its locks held), so the client waits that long for the reply, as behind a slow COPY/MERGE."""
        seconds = self.adapter.delay_for(sql)
        if seconds and self.tx_status != "E":
            self.inject_query(f"SELECT pg_sleep({seconds:.3f})")

    def _query(self, body: bytes) -> bytes:
        sql = body[:-1].decode("utf-8")
        self.adapter.log(sql)
        self._slow_down(sql)
        copy = parse_copy_from_s3(sql)
        if copy is None:
            if _TRUNCATE.match(sql) and self.tx_status == "T":
                self.inject_query("COMMIT")
            rewritten = self._rewrite(sql)
            return m.typed(b"Q", body) if rewritten == sql else m.query(rewritten)
        table, _, payload = self._copy_call(copy)
        call = (
            f"CALL redshift_emulator.copy_rows({_dollar_quote(table or '')}, NULL::text[], "
            f"{_dollar_quote(payload or '')}::json)"
        )
        return m.query(call)

    def _parse(self, body: bytes) -> bytes:
        name, sql, param_types = m.parse_parse(body)
        self.adapter.log(sql)
        self.statement_texts[name] = sql
        copy = parse_copy_from_s3(sql)
        self.truncate_statements.discard(name)
        if copy is not None:
            self.copy_statements[name] = copy
            return m.build_parse(name, COPY_CALL)
        self.copy_statements.pop(name, None)
        if _TRUNCATE.match(sql):
            self.truncate_statements.add(name)
        rewritten = self._rewrite(sql)
        return m.typed(b"P", body) if rewritten == sql else m.build_parse(name, rewritten, param_types)

    def _bind(self, body: bytes) -> bytes:
        portal, statement = m.parse_bind_names(body)
        self._slow_down(self.statement_texts.get(statement, ""))
        if statement in self.truncate_statements and self.tx_status == "T":
            self.inject_query("COMMIT")  # TRUNCATE commits the transaction it runs in
        copy = self.copy_statements.get(statement)
        if copy is None:
            return m.typed(b"B", body)
        # S3 is read here, at execution time, so re-running a cached COPY statement sees current objects.
        return m.build_bind(portal, statement, self._copy_call(copy))

    # -- server -> client --------------------------------------------------------------------------
    def _relay_server(self, server_in: BinaryIO) -> None:
        try:
            while True:
                code, body = m.read_typed(server_in)
                if code == b"Z":
                    self.tx_status = body[:1].decode()
                exchange = self.router.current()
                if exchange is not None:
                    exchange.deliver(code, body)
                else:
                    self.client.sendall(m.typed(code, self._server_message(code, body)))
                if code == b"Z":
                    self.router.ready()
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
            return self._error(body)
        elif code == b"Z":
            self.copy_rows = None
        return body

    def _error(self, body: bytes) -> bytes:
        fields = m.parse_fields(body)
        token = rejected_token(fields)
        if token is not None and token in self.rejections:
            return m.build_fields(rejection_fields(self.rejections.pop(token)))
        hint = dict(fields).get("H", "")
        if hint.startswith(ERROR_HINT_PREFIX):
            return self._load_error(fields, hint)
        if "redshift_emulator.copy_rows" in dict(fields).get("W", ""):  # e.g. the transaction is aborted
            return m.build_fields([(k, v) for k, v in fields if k not in "WLFR"])
        shaped = redshift_shape(fields, self.backend_pid)
        return body if shaped is None else m.build_fields(shaped)

    def _load_error(self, fields: list[tuple[str, str]], hint: str) -> bytes:
        try:
            detail = json.loads(hint[len(ERROR_HINT_PREFIX) :])
            if detail.get("record", True):
                self.tables.record(
                    LoadError(
                        session=self.backend_pid,
                        database=self.database,
                        query_id=int(detail.get("query_id", 0)),
                        filename=str(detail.get("filename", "")),
                        line_number=int(detail.get("line_number", -1)),
                        colname=str(detail.get("colname", "")),
                        err_code=int(detail.get("err_code", 0)),
                        err_reason=str(detail.get("err_reason", "")),
                    )
                )
        except Exception as error:  # noqa: BLE001 - a logging failure must not break the client's session
            print(f"redshift endpoint: could not record a load error: {error!r}", file=sys.stderr)
        return m.build_fields([(k, v) for k, v in fields if k not in "HWLFRP"])


class WireAdapter:
    """Listens on host:port and serves each client with a ClientSession thread."""

    def __init__(self, host: str, port: int, upstream: tuple[str, int], tables: SystemTables) -> None:
        self.listener = socket.create_server((host, port))
        self.host, self.port = self.listener.getsockname()[:2]
        self.upstream = upstream
        self.tables = tables
        self.sessions: set[ClientSession] = set()
        self.slow_statements: list[tuple[re.Pattern[str], float]] = []  # (pattern, seconds): see slowed()
        self._recorders: list[list[str]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="redshift-adapter-accept")

    def start(self) -> WireAdapter:
        self._thread.start()
        return self

    def log(self, sql: str) -> None:
        with self._lock:
            for recorder in self._recorders:
                recorder.append(sql)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        """Every statement text clients send while the block runs, as sent (before any rewrite)."""
        recorder: list[str] = []
        with self._lock:
            self._recorders.append(recorder)
        try:
            yield recorder
        finally:
            with self._lock:
                self._recorders.remove(recorder)

    def delay_for(self, sql: str) -> float:
        with self._lock:
            return max((seconds for pattern, seconds in self.slow_statements if pattern.search(sql)), default=0.0)

    @contextmanager
    def slowed(self, pattern: str, seconds: float) -> Iterator[None]:
        """Statements matching `pattern` (a regex, searched in the text as sent) take `seconds` longer on the
        server while the block runs: a slow COPY or MERGE on a busy cluster."""
        entry = (re.compile(pattern, re.IGNORECASE), seconds)
        with self._lock:
            self.slow_statements.append(entry)
        try:
            yield
        finally:
            with self._lock:
                self.slow_statements.remove(entry)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # listener closed
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = ClientSession(client, self.upstream, self.tables, self)
            with self._lock:
                self.sessions.add(session)
            threading.Thread(target=self._serve, args=(session,), daemon=True, name="redshift-adapter-client").start()

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
