"""Redshift's load-error system tables and the COPY helper procedure, installed into a database.

`stl_load_errors` (provisioned) and `sys_load_error_detail` (Serverless) are created in pg_catalog so,
as on Redshift, they resolve whatever the session's search_path is. Rows are written from a separate
autocommit connection, so they survive the loading session's ROLLBACK, as Redshift's do.
Column types follow Redshift's (CHAR(n) columns come back blank-padded, as on Redshift); columns
Redshift fills from its internals (slice, tbl, userid ...) hold 0 or NULL here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import psycopg

from order_pipeline_tests.support.redshift_endpoint.postgres_server import PostgresServer

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

# The COPY emulation, run by the adapter inside the client's own session and transaction.
# payload: {"error": {...}} for a failure found while reading S3, else
#          {"files": [{"url": ..., "columns": n, "rows": [[v1, v2, ...], ...]}, ...]}.
# Parquet columns map to the table's columns BY POSITION, as Redshift does for columnar formats.
_PROCEDURE = r"""
CREATE SCHEMA IF NOT EXISTS redshift_emulator;
CREATE OR REPLACE PROCEDURE redshift_emulator.copy_rows(target text, target_columns text[], payload json)
LANGUAGE plpgsql AS $procedure$
DECLARE
    rel regclass := target::regclass;
    cols text[];
    col_list text;
    file json;
    objects json;
    total bigint := 0;
    state text;
    message text;
BEGIN
    IF payload->'error' IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = payload->'error'->>'message',
            DETAIL = coalesce(payload->'error'->>'detail', ''),
            HINT = 'redshift_emulator_load_error:' || (payload->'error')::text;
    END IF;
    IF target_columns IS NULL THEN
        SELECT array_agg(attname::text ORDER BY attnum) INTO cols FROM pg_attribute
         WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped;
    ELSE
        cols := target_columns;
    END IF;
    SELECT string_agg(quote_ident(c), ', ' ORDER BY n) INTO col_list
      FROM unnest(cols) WITH ORDINALITY AS u(c, n);
    FOR file IN SELECT value FROM json_array_elements(payload->'files') LOOP
        IF (file->>'columns')::int <> array_length(cols, 1) THEN
            message := format('Spectrum Scan Error: File ''%s'' has an incompatible Parquet schema: '
                              'column count mismatch. Unmatched number of columns between table and file. '
                              'Table columns: %s, Data columns: %s, File name: %s',
                              file->>'url', array_length(cols, 1), file->>'columns', file->>'url');
            RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = message,
                HINT = 'redshift_emulator_load_error:' || json_build_object(
                    'filename', file->>'url', 'line_number', 0, 'colname', '', 'err_code', 15007,
                    'err_reason', format('Unmatched number of columns between table and file. '
                                         'Table columns: %s, Data columns: %s',
                                         array_length(cols, 1), file->>'columns'),
                    'table', target)::text;
        END IF;
        SELECT json_agg((SELECT json_object_agg(cols[i], r.value->(i - 1))
                           FROM generate_series(1, array_length(cols, 1)) AS i))
          INTO objects FROM json_array_elements(file->'rows') AS r;
        CONTINUE WHEN objects IS NULL;
        BEGIN
            EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM json_populate_recordset(NULL::%s, $1)',
                           rel, col_list, col_list, rel) USING objects;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            message := CASE state WHEN '22001' THEN 'String length exceeds DDL length'
                                  ELSE 'Invalid data: ' || message END;
            RAISE EXCEPTION USING ERRCODE = 'XX000',
                MESSAGE = format('Load into table ''%s'' failed.  Check ''stl_load_errors'' system table '
                                 'for details. (%s; file %s)', target, message, file->>'url'),
                HINT = 'redshift_emulator_load_error:' || json_build_object(
                    'filename', file->>'url', 'line_number', 1, 'colname', '',
                    'err_code', CASE state WHEN '22001' THEN 1204 ELSE 1216 END,
                    'err_reason', message, 'table', target)::text;
        END;
        total := total + json_array_length(file->'rows');
    END LOOP;
    RAISE INFO 'Load into table ''%'' completed, % record(s) loaded successfully.', target, total;
END
$procedure$;
"""


@dataclass(frozen=True)
class LoadError:
    """One row for stl_load_errors / sys_load_error_detail."""

    session: int
    database: str
    filename: str
    line_number: int
    colname: str
    err_code: int
    err_reason: str


class SystemTables:
    """Installs the emulator objects per database and records load errors over autocommit connections."""

    def __init__(self, server: PostgresServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._installed: set[str] = set()

    def ensure_installed(self, database: str) -> None:
        with self._lock:
            if database in self._installed:
                return
            try:
                with self._server.connect(database) as conn:
                    conn.execute("SET allow_system_table_mods = on")
                    conn.execute(_TABLES)
                    conn.execute("RESET allow_system_table_mods")
                    conn.execute(_PROCEDURE)
            except psycopg.OperationalError:
                return  # no such database: the client's own startup will fail with PostgreSQL's error
            self._installed.add(database)

    def record(self, error: LoadError) -> None:
        self.ensure_installed(error.database)
        with self._server.connect(error.database) as conn:
            query = conn.execute("SELECT nextval('pg_catalog.redshift_emulator_query_id')").fetchone()
            query_id = int(query[0]) if query else 0
            conn.execute(
                "INSERT INTO pg_catalog.stl_load_errors (userid, slice, tbl, starttime, session, query, "
                "filename, line_number, colname, type, col_length, position, raw_line, raw_field_value, "
                "err_code, err_reason, is_partial, start_offset) VALUES (0, 0, 0, now() AT TIME ZONE 'UTC', "
                "%s, %s, left(%s, 256), %s, left(%s, 127), '', '', 0, '', '', %s, left(%s, 100), 0, 0)",
                (error.session, query_id, error.filename, error.line_number, error.colname, error.err_code,
                 error.err_reason),
            )
            conn.execute(
                "INSERT INTO pg_catalog.sys_load_error_detail (user_id, query_id, transaction_id, "
                "session_id, database_name, start_time, table_id, file_name, line_number, column_name, "
                "column_type, column_length, position, error_code, error_message, raw_line, raw_field_value) "
                "VALUES "
                "(0, %s, 0, %s, left(%s, 64), now() AT TIME ZONE 'UTC', 0, left(%s, 256), %s, left(%s, 127), "
                "'', '', 0, %s, left(%s, 512), '', '')",
                (query_id, error.session, error.database, error.filename, error.line_number, error.colname,
                 error.err_code, error.err_reason),
            )
