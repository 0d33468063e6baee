"""The local Redshift-compatible endpoint, driven by the unmodified redshift_connector over TCP."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest
import redshift_connector

from order_pipeline_tests.redshift_endpoint.tests.parquet_files import (
    FIRST,
    ROLE,
    SECOND,
    parquet_bytes,
    put_manifest,
)


@pytest.fixture
def conn(redshift_endpoint):
    connection = redshift_endpoint.connect()
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def table(conn) -> str:
    """A fresh Redshift-style table (DISTKEY/SORTKEY/ENCODE clauses included), committed."""
    name = f"orders_{uuid.uuid4().hex[:8]}"
    cursor = conn.cursor()
    cursor.execute(
        f"CREATE TABLE {name} (order_id VARCHAR(32) NOT NULL ENCODE zstd, amount DECIMAL(12,2), "
        f"updated_at TIMESTAMPTZ ENCODE az64) DISTSTYLE KEY DISTKEY(order_id) "
        f"COMPOUND SORTKEY(order_id, updated_at)"
    )
    conn.commit()
    return name


def rows_of(conn, table: str) -> list[list]:
    cursor = conn.cursor()
    cursor.execute(f"SELECT order_id, amount, updated_at FROM {table} ORDER BY order_id")
    return [list(row) for row in cursor.fetchall()]


def test_driver_connects_and_sees_a_redshift_server_version(conn):
    cursor = conn.cursor()
    cursor.execute("SELECT current_database(), current_user, 1 + 1")
    assert list(cursor.fetchone()) == ["dev", "awsuser", 2]
    assert str(conn._server_version) == "8.0.2"


def test_redshift_ddl_and_parameter_binding(conn, table):
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {table} VALUES (%s, %s, %s)", ("o-9", Decimal("1.10"), FIRST[0][2]))
    cursor.execute(f"SELECT amount, updated_at FROM {table} WHERE order_id = %s", ("o-9",))
    assert list(cursor.fetchone()) == [Decimal("1.10"), FIRST[0][2]]
    cursor.execute("CREATE TEMP TABLE doc (id BIGINT IDENTITY(1,1), body SUPER) DISTSTYLE ALL")
    cursor.execute("INSERT INTO doc (body) VALUES (JSON_PARSE(%s))", ('{"a": [1, 2]}',))
    cursor.execute("SELECT id, body, body.a[1] FROM doc")
    assert list(cursor.fetchone()) == [1, '{"a": [1, 2]}', "2"]
    # quoted text is never rewritten
    cursor.execute("CREATE TEMP TABLE note (id INT ENCODE az64, body VARCHAR(40) DEFAULT 'SORTKEY(a) SUPER')")
    cursor.execute("INSERT INTO note (id) VALUES (1)")
    cursor.execute("SELECT body FROM note")
    assert cursor.fetchone()[0] == "SORTKEY(a) SUPER"


def test_copy_manifest_of_two_parquet_files_loads_exact_rows(conn, table, s3_client, bucket):
    manifest = put_manifest(
        s3_client, bucket, {"part/a.parquet": parquet_bytes(FIRST), "part/b.parquet": parquet_bytes(SECOND)}
    )
    cursor = conn.cursor()
    cursor.execute(f"COPY {table} FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST")
    conn.commit()
    assert rows_of(conn, table) == [list(row) for row in FIRST + SECOND]
    assert any("3 record(s) loaded successfully" in str(notice) for notice in conn.notices)


def test_copy_without_manifest_loads_a_prefix_with_a_column_list(conn, table, s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="p/x/1.parquet", Body=parquet_bytes(FIRST))
    s3_client.put_object(Bucket=bucket, Key="p/x/2.parquet", Body=parquet_bytes(SECOND))
    cursor = conn.cursor()
    cursor.execute(
        f"COPY {table} (order_id, amount, updated_at) FROM 's3://{bucket}/p/x/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
    )
    conn.commit()
    assert [row[0] for row in rows_of(conn, table)] == ["o-1", "o-2", "o-3"]


def test_rolled_back_copy_leaves_nothing(conn, table, s3_client, bucket):
    manifest = put_manifest(s3_client, bucket, {"r/a.parquet": parquet_bytes(FIRST)})
    cursor = conn.cursor()
    cursor.execute(f"COPY {table} FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST")
    assert len(rows_of(conn, table)) == 2  # visible inside the transaction
    conn.rollback()
    assert rows_of(conn, table) == []
    # the driver re-uses its prepared COPY; the adapter reads S3 again at execution time
    cursor.execute(f"COPY {table} FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST")
    conn.commit()
    assert rows_of(conn, table) == [list(row) for row in FIRST]


def test_column_count_mismatch_fails_names_file_aborts_and_is_logged(conn, table, s3_client, bucket):
    narrow = pa.schema([("order_id", pa.string()), ("amount", pa.decimal128(12, 2))])
    bad = parquet_bytes([("o-4", Decimal(1))], narrow)
    manifest = put_manifest(s3_client, bucket, {"ok/a.parquet": parquet_bytes(FIRST), "bad/b.parquet": bad})
    cursor = conn.cursor()
    with pytest.raises(redshift_connector.ProgrammingError) as failure:
        cursor.execute(f"COPY {table} FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST")
    # Redshift's shape: a short message, the context in the DETAIL field, files named by https URL
    fields = failure.value.args[0]
    assert (fields["C"], fields["M"]) == ("XX000", "Spectrum Scan Error")
    assert "code:      15007" in fields["D"]
    assert (
        "Unmatched number of columns between table and file. Table columns: 3, Data columns: 2, "
        f"File name: https://s3.us-east-1.amazonaws.com/{bucket}/bad/b.parquet"
    ) in fields["D"]
    with pytest.raises(redshift_connector.ProgrammingError, match="current transaction is aborted"):
        cursor.execute("SELECT 1")
    conn.rollback()
    cursor.execute(
        "SELECT trim(filename), err_code, trim(err_reason) FROM stl_load_errors "
        "WHERE session = PG_BACKEND_PID() ORDER BY starttime DESC LIMIT 1"
    )
    filename, err_code, reason = cursor.fetchone()
    assert (filename, err_code) == (f"s3://{bucket}/bad/b.parquet", 15007)
    assert reason == "Unmatched number of columns between table and file. Table columns: 3, Data columns: 2"
    cursor.execute(
        "SELECT count(*) FROM sys_load_error_detail WHERE trim(file_name) = %s AND session_id = PG_BACKEND_PID()",
        (f"s3://{bucket}/bad/b.parquet",),
    )
    assert cursor.fetchone()[0] == 1
    assert rows_of(conn, table) == []


def test_manifest_naming_a_missing_object_fails_naming_it(conn, table, s3_client, bucket):
    manifest = put_manifest(s3_client, bucket, {"m/a.parquet": parquet_bytes(FIRST)}, missing=("m/gone.parquet",))
    cursor = conn.cursor()
    with pytest.raises(redshift_connector.ProgrammingError) as failure:
        cursor.execute(f"COPY {table} FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST")
    assert f"s3://{bucket}/m/gone.parquet" in str(failure.value)
    conn.rollback()
    assert rows_of(conn, table) == []


def test_merge_through_the_driver(conn, table):
    cursor = conn.cursor()
    cursor.execute(
        f"INSERT INTO {table} VALUES ('o-1', 1.00, '2026-01-01T00:00:00Z'), ('o-2', 2.00, '2026-01-01T00:00:00Z')"
    )
    cursor.execute(f"CREATE TEMP TABLE stage (LIKE {table})")
    cursor.execute(
        "INSERT INTO stage VALUES ('o-2', 20.00, '2026-02-01T00:00:00Z'), ('o-3', 3.00, '2026-02-01T00:00:00Z')"
    )
    cursor.execute(
        f"MERGE INTO {table} USING stage s ON {table}.order_id = s.order_id "
        f"WHEN MATCHED THEN UPDATE SET amount = s.amount, updated_at = s.updated_at "
        f"WHEN NOT MATCHED THEN INSERT VALUES (s.order_id, s.amount, s.updated_at)"
    )
    conn.commit()
    assert [(r[0], r[1]) for r in rows_of(conn, table)] == [
        ("o-1", Decimal("1.00")),
        ("o-2", Decimal("20.00")),
        ("o-3", Decimal("3.00")),
    ]


def test_copy_into_a_quoted_temp_staging_table_with_the_default_role(conn, table, s3_client, bucket):
    manifest = put_manifest(s3_client, bucket, {"t/a.parquet": parquet_bytes(SECOND)})
    cursor = conn.cursor()
    cursor.execute(f'CREATE TEMP TABLE "Stage Orders" (LIKE {table})')
    cursor.execute(f"COPY \"Stage Orders\" FROM '{manifest}' IAM_ROLE default FORMAT AS PARQUET MANIFEST")
    cursor.execute('SELECT order_id, amount, updated_at FROM "Stage Orders"')
    assert [list(row) for row in cursor.fetchall()] == [list(SECOND[0])]


def test_simple_query_protocol_copy_and_ddl(redshift_endpoint, table, s3_client, bucket):
    """psycopg's ClientCursor sends plain Query messages: the adapter rewrites those too."""
    manifest = put_manifest(s3_client, bucket, {"q/a.parquet": parquet_bytes(FIRST)})
    conninfo = psycopg.conninfo.make_conninfo(
        host=redshift_endpoint.host,
        port=redshift_endpoint.port,
        dbname=redshift_endpoint.database,
        user=redshift_endpoint.user,
        password=redshift_endpoint.password,
        sslmode="disable",
    )
    with psycopg.connect(conninfo, cursor_factory=psycopg.ClientCursor) as pg:
        assert pg.info.parameter_status("server_version") == "8.0.2"
        pg.execute(
            "CREATE TEMP TABLE q (order_id VARCHAR(32) ENCODE zstd, amount DECIMAL(12,2), "
            "updated_at TIMESTAMPTZ) DISTKEY(order_id) SORTKEY(updated_at)"
        )
        copied = pg.execute(f"COPY q FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST;")
        assert copied.statusmessage == "COPY 2"
        rows = pg.execute("SELECT order_id, amount, updated_at FROM q ORDER BY order_id").fetchall()
        assert [list(r) for r in rows] == [list(r) for r in FIRST]
        pg.rollback()


def test_ssl_request_is_declined_not_hung(redshift_endpoint):
    with pytest.raises(redshift_connector.InterfaceError, match="Server refuses SSL"):
        redshift_endpoint.connect(ssl=True, timeout=10)
