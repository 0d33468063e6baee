"""How to reach Redshift: settings and the exact `redshift_connector.connect` keyword arguments. No I/O.

Three modes:
  * password auth: host, database, user, password;
  * IAM, provisioned cluster: iam=True, cluster_identifier, db_user, region (the driver calls
    GetClusterCredentials; host is looked up from the cluster when not given);
  * IAM, Redshift Serverless: iam=True, is_serverless=True, serverless_work_group, region (the driver calls
    redshift-serverless GetCredentials; host is looked up from the workgroup when not given).
The driver refuses IAM without SSL, so IAM settings with ssl=False are rejected here, early and clearly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class IncompleteRedshiftSettings(ValueError):
    """The settings lack a field their authentication mode needs."""


@dataclass(frozen=True)
class RedshiftConnectionSettings:
    host: str | None = None
    database: str = "dev"
    port: int = 5439
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    iam: bool = False
    cluster_identifier: str | None = None
    serverless_workgroup: str | None = None
    region: str | None = None
    db_user: str | None = None
    ssl: bool = True
    timeout: int | None = 60  # seconds; None: no socket timeout
    application_name: str = "order_pipeline"
    profile: str | None = None  # AWS named profile for IAM modes

    @property
    def mode(self) -> str:
        if not self.iam:
            return "password"
        return "iam-serverless" if self.serverless_workgroup else "iam-provisioned"


def _require(settings: RedshiftConnectionSettings, *names: str) -> None:
    missing = [name for name in names if getattr(settings, name) in (None, "")]
    if missing:
        raise IncompleteRedshiftSettings(
            f"Redshift {settings.mode} settings are incomplete: missing {', '.join(missing)}")


def connect_kwargs(settings: RedshiftConnectionSettings) -> dict[str, Any]:
    """Keyword arguments for `redshift_connector.connect(**kwargs)` for the settings' mode."""
    _require(settings, "database")
    common: dict[str, Any] = {"database": settings.database, "port": settings.port, "ssl": settings.ssl,
                              "timeout": settings.timeout, "application_name": settings.application_name}
    if settings.mode == "password":
        _require(settings, "host", "user", "password")
        return {"host": settings.host, **common, "user": settings.user, "password": settings.password}
    if not settings.ssl:
        raise IncompleteRedshiftSettings("Redshift IAM authentication requires ssl=True")
    kwargs: dict[str, Any] = {**common, "iam": True}
    if settings.host:
        kwargs["host"] = settings.host
    if settings.profile:
        kwargs["profile"] = settings.profile
    if settings.mode == "iam-serverless":
        _require(settings, "region")
        kwargs.update(is_serverless=True, serverless_work_group=settings.serverless_workgroup,
                      region=settings.region)
        if settings.db_user:
            kwargs["db_user"] = settings.db_user
        return kwargs
    _require(settings, "cluster_identifier", "db_user", "region")
    kwargs.update(cluster_identifier=settings.cluster_identifier, db_user=settings.db_user,
                  region=settings.region)
    return kwargs
