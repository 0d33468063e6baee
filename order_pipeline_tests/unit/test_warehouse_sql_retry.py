"""Which Redshift errors are retried, and how they are described: Redshift's real error shapes, as
redshift_connector raises them (the ErrorResponse fields as a dict)."""

from __future__ import annotations

import pytest
import redshift_connector

from order_pipeline.warehouse.redshift_errors import describe, is_retryable, is_serialization_conflict

# As quoted from a redshift_connector ProgrammingError in aws/aws-sdk-pandas issue 665.
REDSHIFT_CONFLICT = {
    "S": "ERROR",
    "C": "XX000",
    "M": "1023",
    "D": "Serializable isolation violation on table - 119371, transactions forming the cycle are: 1745830, "
    "1745762 (pid:15021)",
    "F": "/home/ec2-user/padb/src/sys/xen_execute.cpp",
    "L": "9797",
    "R": "pg_throw",
}
# As quoted in aws/aws-sdk-pandas issue 529 (a Parquet COPY of a string longer than its column).
SPECTRUM_LENGTH = {
    "S": "ERROR",
    "C": "XX000",
    "M": "Spectrum Scan Error",
    "D": "\n  -----------------------------------------------\n  error:  Spectrum Scan Error\n  code:      15001\n"
    "  context:   The length of the data column display_name is longer than the length defined in the table. "
    "Table: 256, Data: 320, File name: https://s3.us-east-1.amazonaws.com/b/k.snappy.parquet\n"
    "  query:     71875904\n  location:  dory_util.cpp:945\n  process:   fetchtask_thread [pid=19465]\n"
    "  -----------------------------------------------\n",
    "F": "/home/ec2-user/padb/src/sys/xen_execute.cpp",
    "L": "9226",
    "R": "pg_throw",
}


def server_error(code: str, message: str, **more: str) -> redshift_connector.ProgrammingError:
    return redshift_connector.ProgrammingError({"S": "ERROR", "C": code, "M": message, **more})


def test_redshifts_serializable_isolation_violation_is_a_retried_conflict():
    error = redshift_connector.ProgrammingError(dict(REDSHIFT_CONFLICT))
    assert is_serialization_conflict(error) and is_retryable(error)
    # the message alone says only "1023": the phrase is in the detail field
    assert "isolation" not in error.args[0]["M"].lower()


@pytest.mark.parametrize(
    "error",
    [
        server_error("40001", "could not serialize access due to concurrent update"),
        server_error("40P01", "deadlock detected", D="Process 1 waits for AccessExclusiveLock on relation 2"),
        server_error("57P01", "terminating connection due to administrator command"),
        redshift_connector.InterfaceError("BrokenPipe: server socket closed. Please check that client side networking"),
        redshift_connector.InterfaceError("communication error", ConnectionResetError()),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_conflicts_deadlocks_and_dropped_connections_are_retried(error):
    assert is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        server_error("22001", "value too long for type character varying(16)"),
        redshift_connector.ProgrammingError(dict(SPECTRUM_LENGTH)),
        server_error("XX000", "1216", D="Invalid data"),
        server_error("23502", 'null value in column "order_id" violates not-null constraint'),
        redshift_connector.InterfaceError("Invalid column names passed to insert_data_bulk: t"),
        ValueError("bad data"),
    ],
)
def test_bad_data_and_bad_sql_are_not_retried(error):
    assert not is_retryable(error)


def test_a_copy_error_is_described_with_the_context_from_its_detail_field():
    described = describe(redshift_connector.ProgrammingError(dict(SPECTRUM_LENGTH)))
    assert described == (
        "Spectrum Scan Error (SQLSTATE XX000): code: 15001; context: The length of the data column display_name "
        "is longer than the length defined in the table. Table: 256, Data: 320, File name: "
        "https://s3.us-east-1.amazonaws.com/b/k.snappy.parquet; query: 71875904"
    )


def test_server_errors_are_described_by_message_sqlstate_and_detail():
    assert describe(server_error("22001", "value too long")) == "value too long (SQLSTATE 22001)"
    assert describe(redshift_connector.ProgrammingError(dict(REDSHIFT_CONFLICT))) == (
        "1023 (SQLSTATE XX000): Serializable isolation violation on table - 119371, transactions forming the "
        "cycle are: 1745830, 1745762 (pid:15021)"
    )
    assert describe(ValueError("x")) == "ValueError: x"
