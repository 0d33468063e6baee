"""How to reach Redshift: the exact `redshift_connector.connect` keyword arguments for a configuration. No I/O.

Three modes:
  * password auth: host, database, user, password;
  * IAM, provisioned cluster: iam=True, cluster_identifier, db_user, region (the driver calls
    GetClusterCredentials; host is looked up from the cluster when not given);
  * IAM, Redshift Serverless: iam=True, is_serverless=True, serverless_work_group, region (the driver calls
    redshift-serverless GetCredentials; host is looked up from the workgroup when not given).
The driver refuses IAM without SSL, so IAM settings with ssl=False are rejected here, early and clearly.

`timeout` is the driver's socket timeout: it applies to every read after connect, so it cuts any statement (COPY,
MERGE, a lock or WLM queue wait) that runs longer on the client while the server goes on running it. It is unset
by default (TCP keepalive stays on); long statements are bounded on the server (`statement_timeout`, set on the
session by the resource) instead.
"""

from __future__ import annotations

from typing import Any, Protocol


class IncompleteRedshiftSettings(ValueError):
    """The settings lack a field their authentication mode needs."""


class RedshiftConnection(Protocol):
    """What `connect_kwargs` reads. The fields, their defaults and descriptions are declared once, on the
    `RedshiftResource` (order_pipeline.components.redshift_resource); this is only their shape."""

    host: str | None
    port: int
    database: str
    user: str | None
    password: str | None
    iam: bool
    cluster_identifier: str | None
    serverless_workgroup: str | None
    db_user: str | None
    region: str | None
    profile: str | None
    ssl: bool
    timeout: int | None
    tcp_keepalive: bool
    tcp_keepalive_idle: int | None
    application_name: str


def auth_mode(settings: RedshiftConnection) -> str:
    if not settings.iam:
        return "password"
    return "iam-serverless" if settings.serverless_workgroup else "iam-provisioned"


def _require(settings: RedshiftConnection, *names: str) -> None:
    missing = [name for name in names if getattr(settings, name) in (None, "")]
    if missing:
        raise IncompleteRedshiftSettings(
            f"Redshift {auth_mode(settings)} settings are incomplete: missing {', '.join(missing)}"
        )


def connect_kwargs(settings: RedshiftConnection) -> dict[str, Any]:
    """Keyword arguments for `redshift_connector.connect(**kwargs)` for the settings' mode."""
    _require(settings, "database")
    common: dict[str, Any] = {
        "database": settings.database,
        "port": settings.port,
        "ssl": settings.ssl,
        "timeout": settings.timeout,
        "tcp_keepalive": settings.tcp_keepalive,
        "application_name": settings.application_name,
    }
    if settings.tcp_keepalive_idle is not None:
        common["tcp_keepalive_idle"] = settings.tcp_keepalive_idle
    if auth_mode(settings) == "password":
        _require(settings, "host", "user", "password")
        return {"host": settings.host, **common, "user": settings.user, "password": settings.password}
    if not settings.ssl:
        raise IncompleteRedshiftSettings("Redshift IAM authentication requires ssl=True")
    kwargs: dict[str, Any] = {**common, "iam": True}
    if settings.host:
        kwargs["host"] = settings.host
    if settings.profile:
        kwargs["profile"] = settings.profile
    if auth_mode(settings) == "iam-serverless":
        _require(settings, "region")
        kwargs.update(is_serverless=True, serverless_work_group=settings.serverless_workgroup, region=settings.region)
        if settings.db_user:
            kwargs["db_user"] = settings.db_user
        return kwargs
    _require(settings, "cluster_identifier", "db_user", "region")
    kwargs.update(cluster_identifier=settings.cluster_identifier, db_user=settings.db_user, region=settings.region)
    return kwargs


def statement_timeout_sql(seconds: int) -> str:
    """The session's server-side statement limit (Redshift's statement_timeout counts milliseconds)."""
    if seconds <= 0:
        raise ValueError(f"statement timeout must be a positive number of seconds, not {seconds}")
    return f"SET statement_timeout TO {int(seconds) * 1000}"
