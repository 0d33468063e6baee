"""COPY FROM Parquet on the endpoint behaves like Redshift's: Parquet types are checked against the columns by
position, string lengths in bytes, options as Parquet allows them, and the rows arrive exactly (through
PostgreSQL's own COPY protocol). Where a check refuses, PostgreSQL alone (a cast or an INSERT) would have
accepted the value: each case shows that too."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pyarrow as pa
import pytest
import redshift_connector

from order_pipeline_tests.redshift_endpoint.tests.parquet_files import ROLE, parquet_bytes, put_manifest

UTC = dt.timezone.utc


@pytest.fixture
def conn(redshift_endpoint):
    connection = redshift_endpoint.connect()
    yield connection
    connection.close()


@pytest.fixture
def postgres(redshift_endpoint):
    with redshift_endpoint.postgres.connect(redshift_endpoint.database) as connection:
        yield connection


def new_table(conn, columns: str) -> str:
    name = f"c_{uuid.uuid4().hex[:8]}"
    conn.cursor().execute(f"CREATE TABLE {name} ({columns})")
    conn.commit()
    return name


def copy(conn, table: str, manifest: str, options: str = "") -> None:
    conn.cursor().execute(f"COPY {table} FROM '{manifest}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET MANIFEST {options}")


def failed_copy(conn, s3_client, bucket, table: str, schema: pa.Schema, rows: list[tuple], options: str = "") -> dict:
    manifest = put_manifest(s3_client, bucket, {f"in/{uuid.uuid4().hex}.parquet": parquet_bytes(rows, schema)})
    with pytest.raises(redshift_connector.ProgrammingError) as failure:
        copy(conn, table, manifest, options)
    conn.rollback()
    return failure.value.args[0]


MISMATCHES = {
    "int64_into_integer": ("v INTEGER", pa.int64(), 5, "Column type: INTEGER", "SELECT CAST(5::bigint AS integer)"),
    "decimal_38_into_12": (
        "d DECIMAL(12,2)",
        pa.decimal128(38, 2),
        Decimal("1.25"),
        "Column type: DECIMAL(12,2)",
        "SELECT CAST(1.25::numeric(38,2) AS numeric(12,2))",
    ),
    "scale_3_into_scale_2": (
        "d DECIMAL(12,2)",
        pa.decimal128(12, 3),
        Decimal("1.235"),
        "Column type: DECIMAL(12,2)",
        "SELECT CAST(1.235::numeric(12,3) AS numeric(12,2))",
    ),  # PostgreSQL rounds: 1.24
    "string_into_timestamptz": (
        "ts TIMESTAMPTZ",
        pa.string(),
        "2026-01-01T00:00:00Z",
        "Column type: TIMESTAMPTZ",
        "SELECT CAST('2026-01-01T00:00:00Z' AS timestamptz)",
    ),
    "timestamp_into_varchar": (
        "s VARCHAR(40)",
        pa.timestamp("us", tz="UTC"),
        dt.datetime(2026, 1, 1, tzinfo=UTC),
        "Column type: VARCHAR(40)",
        "SELECT CAST(now() AS varchar(40))",
    ),
    "struct_without_serializetojson": (
        "doc SUPER",
        pa.struct([("a", pa.int64())]),
        {"a": 1},
        "Column type: SUPER",
        "SELECT CAST('{\"a\": 1}' AS jsonb)",
    ),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_a_parquet_type_the_column_does_not_take_fails_the_copy(case, conn, postgres, s3_client, bucket):
    column, arrow_type, value, expected, postgres_cast = MISMATCHES[case]
    assert postgres.execute(postgres_cast).fetchone()[0] is not None  # PostgreSQL's cast would take it
    table = new_table(conn, column)
    fields = failed_copy(conn, s3_client, bucket, table, pa.schema([("x", arrow_type)]), [(value,)])
    assert (fields["C"], fields["M"]) == ("XX000", "Spectrum Scan Error")
    assert "code:      15007" in fields["D"] and "has an incompatible Parquet schema" in fields["D"]
    assert expected in fields["D"]
    cursor = conn.cursor()
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    assert cursor.fetchone()[0] == 0


def test_a_string_longer_than_its_varchar_in_bytes_fails_the_copy(conn, postgres, s3_client, bucket):
    assert postgres.execute("SELECT CAST('ééé' AS varchar(3))").fetchone()[0] == "ééé"  # 3 characters fit there
    table = new_table(conn, "k VARCHAR(3)")
    fields = failed_copy(conn, s3_client, bucket, table, pa.schema([("k", pa.string())]), [("abc",), ("ééé",)])
    assert "code:      15001" in fields["D"]
    assert (
        "The length of the data column k is longer than the length defined in the table. Table: 3, Data: 6"
        in fields["D"]
    )
    cursor = conn.cursor()
    cursor.execute("SELECT TRIM(err_reason) FROM stl_load_errors WHERE query = PG_LAST_COPY_ID()")
    assert [list(row) for row in cursor.fetchall()] == [["String length exceeds DDL length"]]


@pytest.mark.parametrize(
    "option", ["REGION 'us-east-1'", "MAXERROR 10", "ACCEPTANYDATE", "TRUNCATECOLUMNS", "COMPUPDATE OFF"]
)
def test_options_parquet_does_not_allow_are_refused(option, conn, s3_client, bucket):
    table = new_table(conn, "k VARCHAR(3)")
    fields = failed_copy(conn, s3_client, bucket, table, pa.schema([("k", pa.string())]), [("a",)], option)
    assert fields["C"] == "0A000"
    assert fields["M"] == f"{option.split()[0]} argument is not supported for PARQUET based COPY"


def test_options_parquet_allows_are_accepted(conn, s3_client, bucket):
    table = new_table(conn, "k VARCHAR(3)")
    body = parquet_bytes([("a",)], pa.schema([("k", pa.string())]))
    manifest = put_manifest(s3_client, bucket, {"ok/a.parquet": body})
    copy(conn, table, manifest, "STATUPDATE OFF ACCEPTINVCHARS AS '?' EXPLICIT_IDS")
    conn.commit()
    cursor = conn.cursor()
    cursor.execute(f"SELECT k FROM {table}")
    assert [list(row) for row in cursor.fetchall()] == [["a"]]


def test_rows_arrive_exactly_nulls_empty_strings_quotes_and_all(conn, s3_client, bucket):
    schema = pa.schema(
        [
            ("s", pa.string()),
            ("i", pa.int64()),
            ("n", pa.int32()),
            ("d", pa.decimal128(12, 2)),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("b", pa.bool_()),
            ("f", pa.float64()),
            ("day", pa.date32()),
        ]
    )
    rows = [
        (
            "",
            2**62,
            -7,
            Decimal("-0.01"),
            dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            True,
            1.5,
            dt.date(2026, 2, 28),
        ),
        (None, None, None, None, None, None, None, None),
        (
            'a "quoted", comma\nand newline \\ and ✓',
            0,
            2**31 - 1,
            Decimal("9999999999.99"),
            dt.datetime(2026, 11, 20, 8, 0, 0, 1, tzinfo=UTC),
            False,
            -0.25,
            dt.date(1970, 1, 1),
        ),
    ]
    table = new_table(
        conn,
        "s VARCHAR(64), i BIGINT, n INTEGER, d DECIMAL(12,2), ts TIMESTAMPTZ, b BOOLEAN, f DOUBLE PRECISION, day DATE",
    )
    manifest = put_manifest(s3_client, bucket, {"rows/a.parquet": parquet_bytes(rows, schema)})
    copy(conn, table, manifest)
    conn.commit()
    cursor = conn.cursor()
    cursor.execute(f"SELECT * FROM {table} ORDER BY n NULLS FIRST")
    assert [tuple(row) for row in cursor.fetchall()] == [rows[1], rows[0], rows[2]]


def test_a_parquet_string_into_super_stays_a_string_and_nested_data_needs_serializetojson(conn, s3_client, bucket):
    table = new_table(conn, "doc SUPER")
    text = parquet_bytes([('{"a": 1}',)], pa.schema([("doc", pa.string())]))
    nested = parquet_bytes(
        [({"a": 2, "tags": ["x"]},)],
        pa.schema([("doc", pa.struct([("a", pa.int64()), ("tags", pa.list_(pa.string()))]))]),
    )
    copy(conn, table, put_manifest(s3_client, bucket, {"j/text.parquet": text}))
    copy(conn, table, put_manifest(s3_client, bucket, {"j/nested.parquet": nested}), "SERIALIZETOJSON")
    conn.commit()
    cursor = conn.cursor()
    cursor.execute(f"SELECT doc FROM {table}")
    assert sorted(row[0] for row in cursor.fetchall()) == ['"{\\"a\\": 1}"', '{"a": 2, "tags": ["x"]}']
    cursor.execute(f"SELECT doc.a, doc.tags[0] FROM {table} WHERE JSON_SERIALIZE(doc) LIKE '{{%'")
    assert [list(row) for row in cursor.fetchall()] == [["2", '"x"']]
    conn.rollback()
