import inspect

import pytest
import redshift_connector
from dagster import DagsterInvalidInvocationError

from order_pipeline.components.redshift_resource import RedshiftResource
from order_pipeline.warehouse.redshift_connection import (
    IncompleteRedshiftSettings,
    connect_kwargs,
    statement_timeout_sql,
)


def RedshiftConnectionSettings(**fields) -> RedshiftResource:  # noqa: N802 - reads like the configuration it builds
    """The resource that declares the connection fields (the COPY fields do not matter here)."""
    return RedshiftResource(
        copy_iam_role="arn:aws:iam::123456789012:role/copy", manifest_prefix="s3://bucket/lake/_manifests/", **fields
    )


DRIVER_PARAMETERS = set(inspect.signature(redshift_connector.connect).parameters)


def test_password_mode():
    settings = RedshiftConnectionSettings(host="h.example", database="analytics", user="loader", password="pw")
    assert connect_kwargs(settings) == {
        "host": "h.example",
        "database": "analytics",
        "port": 5439,
        "ssl": True,
        "timeout": None,
        "tcp_keepalive": True,
        "application_name": "order_pipeline",
        "user": "loader",
        "password": "pw",
    }


def test_iam_provisioned_mode_sends_no_password():
    settings = RedshiftConnectionSettings(
        iam=True,
        cluster_identifier="orders-cluster",
        db_user="loader",
        region="eu-west-1",
        profile="ci",
        password="ignored",
    )
    kwargs = connect_kwargs(settings)
    assert kwargs == {
        "database": "dev",
        "port": 5439,
        "ssl": True,
        "timeout": None,
        "tcp_keepalive": True,
        "application_name": "order_pipeline",
        "iam": True,
        "profile": "ci",
        "cluster_identifier": "orders-cluster",
        "db_user": "loader",
        "region": "eu-west-1",
    }
    assert "password" not in kwargs


def test_iam_serverless_mode():
    settings = RedshiftConnectionSettings(
        iam=True,
        serverless_workgroup="orders-wg",
        region="us-east-1",
        host="orders-wg.123.us-east-1.redshift-serverless.amazonaws.com",
    )
    kwargs = connect_kwargs(settings)
    assert kwargs["is_serverless"] is True
    assert kwargs["serverless_work_group"] == "orders-wg"
    assert kwargs["host"] == settings.host
    assert "password" not in kwargs and "cluster_identifier" not in kwargs


@pytest.mark.parametrize(
    "settings",
    [
        RedshiftConnectionSettings(host="h", user="u", password="p"),
        RedshiftConnectionSettings(iam=True, cluster_identifier="c", db_user="u", region="r"),
        RedshiftConnectionSettings(iam=True, serverless_workgroup="w", region="r"),
    ],
)
def test_every_keyword_is_a_real_driver_parameter(settings):
    assert set(connect_kwargs(settings)) <= DRIVER_PARAMETERS


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        (RedshiftConnectionSettings(host="h", user="u"), "password"),
        (RedshiftConnectionSettings(user="u", password="p"), "host"),
        (RedshiftConnectionSettings(iam=True, db_user="u", region="r"), "cluster_identifier"),
        (RedshiftConnectionSettings(iam=True, cluster_identifier="c", region="r"), "db_user"),
        (RedshiftConnectionSettings(iam=True, cluster_identifier="c", db_user="u"), "region"),
        (RedshiftConnectionSettings(iam=True, serverless_workgroup="w"), "region"),
    ],
)
def test_incomplete_settings_name_the_missing_field(settings, missing):
    with pytest.raises(IncompleteRedshiftSettings, match=f"missing {missing}"):
        connect_kwargs(settings)


def test_iam_without_ssl_is_refused():
    settings = RedshiftConnectionSettings(iam=True, cluster_identifier="c", db_user="u", region="r", ssl=False)
    with pytest.raises(IncompleteRedshiftSettings, match="ssl"):
        connect_kwargs(settings)


def test_repr_and_str_hide_the_password():
    settings = RedshiftConnectionSettings(host="h", user="u", password="s3cr3t-value")
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in str(settings)
    assert "host='h'" in repr(settings)


def test_settings_are_frozen():
    settings = RedshiftConnectionSettings(host="h", user="u", password="p")
    with pytest.raises(DagsterInvalidInvocationError, match="does not support item assignment"):
        settings.password = "other"  # type: ignore[misc]


def test_no_client_timeout_by_default_and_keepalive_on():
    """redshift_connector's `timeout` applies to every socket read: set, it would cut any longer COPY or MERGE."""
    kwargs = connect_kwargs(RedshiftConnectionSettings(host="h", user="u", password="p"))
    assert kwargs["timeout"] is None
    assert kwargs["tcp_keepalive"] is True
    assert "tcp_keepalive_idle" not in kwargs  # the OS default unless set


def test_keepalive_idle_and_client_timeout_when_set():
    settings = RedshiftConnectionSettings(host="h", user="u", password="p", timeout=900, tcp_keepalive_idle=60)
    kwargs = connect_kwargs(settings)
    assert (kwargs["timeout"], kwargs["tcp_keepalive_idle"]) == (900, 60)
    assert set(kwargs) <= DRIVER_PARAMETERS


def test_statement_timeout_is_set_in_milliseconds():
    assert statement_timeout_sql(600) == "SET statement_timeout TO 600000"
    with pytest.raises(ValueError, match="positive"):
        statement_timeout_sql(0)
