"""The endpoint refuses what Redshift refuses. Every case runs the same statement twice: on the PostgreSQL behind
the endpoint, directly (it is accepted there), and through redshift_connector and the endpoint (refused with
Redshift's SQLSTATE and wording). docs/redshift-compatibility.md lists the rules and their sources."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import redshift_connector

SETUP = [
    "CREATE TABLE t (k VARCHAR(8), v INTEGER, d DECIMAL(12,2))",
    "CREATE TABLE src (k VARCHAR(8), v INTEGER, d DECIMAL(12,2))",
    "INSERT INTO src VALUES ('a', 1, 1.00)",
]


@pytest.fixture
def schema(redshift_endpoint) -> str:
    name = f"r_{uuid.uuid4().hex[:10]}"
    conn = redshift_endpoint.connect()
    cursor = conn.cursor()
    cursor.execute(f'CREATE SCHEMA "{name}"')
    cursor.execute(f'SET search_path TO "{name}"')
    for statement in SETUP:
        cursor.execute(statement)
    conn.commit()
    conn.close()
    return name


@pytest.fixture
def redshift(redshift_endpoint, schema):
    conn = redshift_endpoint.connect()
    conn.cursor().execute(f'SET search_path TO "{schema}"')
    conn.commit()
    yield conn
    conn.close()


@pytest.fixture
def postgres(redshift_endpoint, schema):
    with redshift_endpoint.postgres.connect(redshift_endpoint.database) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        yield conn


def accepted_by_postgres(conn: psycopg.Connection, *statements: str) -> list:
    """Run the statements on PostgreSQL directly and roll back; the last one's rows, if any."""
    with conn.transaction(force_rollback=True):
        for statement in statements:
            cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def refused_by_endpoint(conn: redshift_connector.Connection, *statements: str) -> dict[str, str]:
    """Run the statements through the endpoint; the last must fail. Its error fields (then rolled back)."""
    cursor = conn.cursor()
    for statement in statements[:-1]:
        cursor.execute(statement)
    with pytest.raises(redshift_connector.ProgrammingError) as refused:
        cursor.execute(statements[-1])
    conn.rollback()
    return refused.value.args[0]


MERGE = "MERGE INTO t USING src AS s ON t.k = s.k "
CASES = {
    "on_conflict": (
        ["INSERT INTO t (k, v) VALUES ('a', 1) ON CONFLICT DO NOTHING"],
        "42601",
        'syntax error at or near "ON"',
    ),
    "returning": (["INSERT INTO t (k, v) VALUES ('a', 1) RETURNING v"], "42601", 'syntax error at or near "RETURNING"'),
    "distinct_on": (
        ["SELECT DISTINCT ON (k) k, v FROM src ORDER BY k, v"],
        "0A000",
        "SELECT DISTINCT ON is not supported",
    ),
    "string_agg": (["SELECT string_agg(k, ',') FROM src"], "42883", "function string_agg does not exist"),
    "jsonb_cast": (["SELECT '{\"a\": 1}'::jsonb"], "42704", 'type "jsonb" does not exist'),
    "jsonb_column": (["CREATE TABLE j (doc JSONB)"], "0A000", 'Column "j.doc" has unsupported type "jsonb".'),
    "serial_column": (
        ["CREATE TABLE s (id SERIAL, v INTEGER)"],
        "0A000",
        'Column "s.id" has unsupported type "serial".',
    ),
    "create_index": (["CREATE INDEX t_k ON t (k)"], "0A000", "CREATE INDEX is not supported"),
    "merge_matched_condition": (
        [
            MERGE + "WHEN MATCHED AND s.v > 0 THEN UPDATE SET v = s.v WHEN MATCHED THEN DELETE "
            "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)"
        ],
        "42601",
        'syntax error at or near "AND"',
    ),
    "merge_not_matched_condition": (
        [
            MERGE + "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED AND s.v > 0 THEN INSERT (k, v) "
            "VALUES (s.k, s.v)"
        ],
        "42601",
        'syntax error at or near "AND"',
    ),
    "merge_do_nothing": (
        [MERGE + "WHEN MATCHED THEN DO NOTHING WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)"],
        "42601",
        'syntax error at or near "DO"',
    ),
    "alter_two_columns": (
        ["ALTER TABLE t ADD COLUMN a INTEGER, ADD COLUMN b INTEGER"],
        "42601",
        'syntax error at or near ","',
    ),
    "alter_type_in_transaction": (
        ["SELECT 1", "ALTER TABLE t ALTER COLUMN k TYPE VARCHAR(16)"],
        "25001",
        "ALTER TABLE ALTER COLUMN TYPE cannot run inside a transaction block",
    ),
    "system_column_oid": (["ALTER TABLE t ADD COLUMN oid BIGINT"], "42701", 'column name "oid" conflicts'),
    "system_column_insertxid": (
        ['CREATE TABLE s ("insertxid" BIGINT)'],
        "42701",
        'column name "insertxid" conflicts with a system column name',
    ),
    "lock_mode": (["LOCK TABLE t IN SHARE MODE"], "42601", 'syntax error at or near "IN"'),
    "identifier_over_127_bytes": ([f'CREATE TABLE "{"é" * 64}" (x INTEGER)'], "42622", "Redshift allows at most 127"),
    "identifier_over_63_bytes": ([f"CREATE TABLE {'a' * 64} (x INTEGER)"], "XX000", "would truncate it to 63"),
    "varchar_counts_bytes": (
        ["CREATE TABLE b (k VARCHAR(8))", "INSERT INTO b VALUES ('ééééé')"],
        "22001",
        "value too long for type character varying(8)",
    ),
    "text_is_varchar_256": (
        ["CREATE TABLE notes (body TEXT)", f"INSERT INTO notes VALUES ('{'a' * 257}')"],
        "22001",
        "value too long for type character varying(256)",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_postgres_accepts_and_the_endpoint_refuses_like_redshift(case, postgres, redshift):
    statements, sqlstate, message = CASES[case]
    accepted_by_postgres(postgres, *statements)
    fields = refused_by_endpoint(redshift, *statements)
    assert fields["C"] == sqlstate
    assert message in fields["M"]


def test_a_refused_statement_aborts_the_transaction_like_any_error(redshift):
    cursor = redshift.cursor()
    cursor.execute("INSERT INTO t (k, v) VALUES ('kept?', 1)")
    with pytest.raises(redshift_connector.ProgrammingError):
        cursor.execute("INSERT INTO t (k, v) VALUES ('b', 2) RETURNING v")
    with pytest.raises(redshift_connector.ProgrammingError, match="current transaction is aborted"):
        cursor.execute("SELECT 1")
    redshift.rollback()
    cursor.execute("SELECT COUNT(*) FROM t")
    assert cursor.fetchone()[0] == 0


def test_decimal_values_round_on_insert_as_on_redshift(postgres, redshift):
    """Redshift rounds an INSERTed value to the column's scale (r_Numeric_types201); so does PostgreSQL."""
    cursor = redshift.cursor()
    cursor.execute("INSERT INTO t (k, d) VALUES ('r', 1.235)")
    cursor.execute("SELECT d FROM t WHERE k = 'r'")
    assert str(cursor.fetchone()[0]) == "1.24"
    redshift.rollback()


def test_quoted_identifiers_fold_to_lower_case(postgres, redshift):
    statements = ['CREATE TABLE "MixedCase" ("Value" INTEGER)', 'INSERT INTO "MixedCase" VALUES (7)']
    with pytest.raises(psycopg.errors.UndefinedTable):  # PostgreSQL keeps the case: "MixedCase" != mixedcase
        accepted_by_postgres(postgres, *statements, "SELECT value FROM mixedcase")
    cursor = redshift.cursor()
    for statement in statements:
        cursor.execute(statement)
    cursor.execute("SELECT value FROM mixedcase")
    assert cursor.fetchone()[0] == 7
    assert [d[0] for d in cursor.description] == ["value"]
    redshift.rollback()


def test_truncate_commits_the_transaction_it_runs_in(postgres, redshift):
    statements = ["INSERT INTO t (k, v) VALUES ('before', 1)", "TRUNCATE src"]
    cursor = redshift.cursor()
    for statement in statements:
        cursor.execute(statement)
    redshift.rollback()  # too late: TRUNCATE committed the INSERT, and itself
    cursor.execute("SELECT (SELECT COUNT(*) FROM t), (SELECT COUNT(*) FROM src)")
    assert list(cursor.fetchone()) == [1, 0]
    redshift.rollback()
    # PostgreSQL alone: TRUNCATE is transactional, the rollback undoes both
    postgres.execute("INSERT INTO src VALUES ('x', 1, 1.00)")
    with postgres.transaction(force_rollback=True):
        postgres.execute("INSERT INTO t (k, v) VALUES ('pg', 1)")
        postgres.execute("TRUNCATE src")
    assert postgres.execute(
        "SELECT (SELECT COUNT(*) FROM t WHERE k = 'pg'), (SELECT COUNT(*) FROM src)"
    ).fetchone() == (0, 1)
