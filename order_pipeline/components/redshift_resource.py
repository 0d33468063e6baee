"""RedshiftResource: a ConfigurableResource wrapping redshift_connector; connections are made lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

from order_pipeline.components.warehouse_resource import WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.warehouse.base import Warehouse
from order_pipeline.warehouse.redshift_connection import connect_kwargs, statement_timeout_sql
from order_pipeline.warehouse.sql_names import quote_ident

if TYPE_CHECKING:
    import redshift_connector


class RedshiftResource(WarehouseResource):
    """Password auth, or IAM for a provisioned cluster (cluster_identifier) or Serverless (workgroup)."""

    host: str | None = Field(default=None, description="Cluster or workgroup endpoint host")
    port: int = Field(default=5439, description="Port")
    database: str = Field(default="dev", description="Database")
    user: str | None = Field(default=None, description="Database user (password auth)")
    password: str | None = Field(default=None, repr=False, description="Password: set through dg.EnvVar, never inline")
    iam: bool = Field(default=False, description="Use IAM authentication instead of a password")
    cluster_identifier: str | None = Field(default=None, description="Provisioned cluster id (IAM auth)")
    serverless_workgroup: str | None = Field(default=None, description="Redshift Serverless workgroup (IAM auth)")
    db_user: str | None = Field(default=None, description="Database user to get IAM credentials for")
    region: str | None = Field(default=None, description="AWS region of the cluster or workgroup")
    profile: str | None = Field(default=None, description="AWS named profile for the IAM modes")
    ssl: bool = Field(default=True, description="Require TLS (on by default)")
    timeout: int | None = Field(
        default=None,
        description="Client socket timeout, seconds, applied to every read (unset: none, the default). A statement "
        "it cuts is reported as a client timeout and never retried: the server may still be running it",
    )
    statement_timeout_seconds: int | None = Field(
        default=None,
        description="Server-side limit per statement (SET statement_timeout on each session); unset: the "
        "cluster's own (WLM) limits",
    )
    tcp_keepalive: bool = Field(default=True, description="TCP keepalive on the connection (on by default)")
    tcp_keepalive_idle: int | None = Field(
        default=None,
        description="Seconds idle before the first keepalive probe (unset: the OS default); below a NAT's or load "
        "balancer's idle timeout keeps a long statement's quiet connection open",
    )
    application_name: str = Field(default="order_pipeline", description="Shown in Redshift's session tables")
    schema_name: str = Field(default="public", description="Schema holding the pipeline's tables")
    copy_iam_role: str = Field(description="IAM role ARN Redshift assumes to read the lake and manifests for COPY")
    manifest_prefix: str = Field(description="s3://bucket/prefix/ where COPY manifests are written")

    def get_client(self) -> redshift_connector.Connection:
        """A new redshift_connector connection (the warehouse opens one lazily and re-opens it if dropped)."""
        import redshift_connector  # imported when a connection is made: the DuckDB default never pays for it

        connection = redshift_connector.connect(**connect_kwargs(self))
        if self.statement_timeout_seconds:
            connection.cursor().execute(statement_timeout_sql(self.statement_timeout_seconds))
            connection.commit()
        if self.schema_name != "public":
            cursor = connection.cursor()
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema_name)}")
            cursor.execute(f"SET search_path TO {quote_ident(self.schema_name)}")
            connection.commit()
        return connection

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        # Redshift serves concurrent readers: there is nothing to wait for. Imported on first use (it imports
        # redshift_connector): loading the definitions never pays for it.
        from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse

        return RedshiftWarehouse(
            self.get_client,
            s3_client,
            iam_role=self.copy_iam_role,
            manifest_prefix=self.manifest_prefix,
            serverless=bool(self.serverless_workgroup),
            client_timeout=self.timeout,
        )


# Each field is read from ORDER_PIPELINE_REDSHIFT_<NAME>: the field's name, except these; the password only through
# dg.EnvVar (never into the settings), the region from the AWS variables, the manifest folder from the lake layout.
_RENAMED = {"serverless_workgroup": "workgroup", "schema_name": "schema"}
_NOT_VARIABLES = {"password", "region", "manifest_prefix"}
PASSWORD_VARIABLE = "ORDER_PIPELINE_REDSHIFT_PASSWORD"


def redshift_variables() -> dict[str, str]:
    """Field -> the ORDER_PIPELINE_REDSHIFT_* variable it is read from (README's table lists each one)."""
    return {
        name: f"ORDER_PIPELINE_REDSHIFT_{_RENAMED.get(name, name).upper()}"
        for name in RedshiftResource.model_fields
        if name not in _NOT_VARIABLES
    }


def redshift_resource_from_settings(settings: Settings) -> RedshiftResource:
    """The resource from the ORDER_PIPELINE_REDSHIFT_* values the settings carry (pydantic parses and checks
    them against the fields' types; a variable no field reads is refused, so a typo is not silently ignored)."""
    by_suffix = {
        variable.removeprefix("ORDER_PIPELINE_REDSHIFT_").lower(): name
        for name, variable in redshift_variables().items()
    }
    unknown = sorted(set(settings.redshift) - set(by_suffix))
    if unknown:
        names = ", ".join(f"ORDER_PIPELINE_REDSHIFT_{suffix.upper()}" for suffix in unknown)
        raise ValueError(f"unknown Redshift settings: {names} (see README, Configuration)")
    values: dict = {by_suffix[suffix]: value for suffix, value in settings.redshift.items()}
    values.update(region=settings.region, manifest_prefix=settings.layout.manifest_prefix())
    if not RedshiftResource(**values).iam:
        values["password"] = dg.EnvVar(PASSWORD_VARIABLE)
    return RedshiftResource(**values)
