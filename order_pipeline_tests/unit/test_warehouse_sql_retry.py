"""Which Redshift errors are retried: conflicts and dropped connections, never bad data."""

from __future__ import annotations

import pytest
import redshift_connector

from order_pipeline.warehouse.redshift_backend import describe, is_retryable


def server_error(code: str, message: str) -> redshift_connector.ProgrammingError:
    # redshift_connector raises server errors with the ErrorResponse fields as a dict, like this.
    return redshift_connector.ProgrammingError({"S": "ERROR", "C": code, "M": message})


@pytest.mark.parametrize(
    "error",
    [
        server_error(
            "XX000",
            "1023 DETAIL: Serializable isolation violation on table - 123, transactions forming "
            "the cycle are: 1, 2",
        ),
        server_error("40001", "could not serialize access due to concurrent update"),
        server_error("57P01", "terminating connection due to administrator command"),
        redshift_connector.InterfaceError(
            "BrokenPipe: server socket closed. Please check that client side networking"
        ),
        redshift_connector.InterfaceError("communication error", ConnectionResetError()),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_conflicts_and_dropped_connections_are_retried(error):
    assert is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        server_error("22001", "value too long for type character varying(16)"),
        server_error("XX000", "Spectrum Scan Error: File 's3://b/k.parquet' is not a valid Parquet file"),
        server_error("23502", 'null value in column "order_id" violates not-null constraint'),
        redshift_connector.InterfaceError("Invalid column names passed to insert_data_bulk: t"),
        ValueError("bad data"),
    ],
)
def test_bad_data_and_bad_sql_are_not_retried(error):
    assert not is_retryable(error)


def test_server_errors_are_described_by_message_and_sqlstate():
    assert describe(server_error("22001", "value too long")) == "value too long (SQLSTATE 22001)"
    assert describe(ValueError("x")) == "ValueError: x"
