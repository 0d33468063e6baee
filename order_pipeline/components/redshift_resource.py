"""RedshiftResource: a ConfigurableResource wrapping redshift_connector; connections are made lazily."""

from __future__ import annotations

from typing import Any

import dagster as dg
import redshift_connector
from pydantic import Field

from order_pipeline.components.resources import WarehouseResource
from order_pipeline.config import Settings
from order_pipeline.warehouse.base import Warehouse
from order_pipeline.warehouse.redshift_connection import RedshiftConnectionSettings, connect_kwargs
from order_pipeline.warehouse.sql_names import quote_ident


class RedshiftResource(WarehouseResource):
    """Password auth, or IAM for a provisioned cluster (cluster_identifier) or Serverless (workgroup)."""

    host: str | None = Field(default=None, description="Cluster or workgroup endpoint host")
    port: int = Field(default=5439, description="Port")
    database: str = Field(default="dev", description="Database")
    user: str | None = Field(default=None, description="Database user (password auth)")
    password: str | None = Field(default=None, description="Password: set through dg.EnvVar, never inline")
    iam: bool = Field(default=False, description="Use IAM authentication instead of a password")
    cluster_identifier: str | None = Field(default=None, description="Provisioned cluster id (IAM auth)")
    serverless_workgroup: str | None = Field(default=None, description="Redshift Serverless workgroup (IAM auth)")
    db_user: str | None = Field(default=None, description="Database user to get IAM credentials for")
    region: str | None = Field(default=None, description="AWS region of the cluster or workgroup")
    ssl: bool = Field(default=True, description="Require TLS (on by default)")
    timeout: int = Field(default=30, description="Connect timeout, seconds")
    application_name: str = Field(default="order_pipeline", description="Shown in Redshift's session tables")
    schema_name: str = Field(default="public", description="Schema holding the pipeline's tables")
    copy_iam_role: str = Field(description="IAM role ARN Redshift assumes to read the lake and manifests for COPY")
    manifest_prefix: str = Field(description="s3://bucket/prefix/ where COPY manifests are written")

    def connection_settings(self) -> RedshiftConnectionSettings:
        return RedshiftConnectionSettings(
            host=self.host, port=self.port, database=self.database, user=self.user, password=self.password,
            iam=self.iam, cluster_identifier=self.cluster_identifier,
            serverless_workgroup=self.serverless_workgroup, db_user=self.db_user, region=self.region,
            ssl=self.ssl, timeout=self.timeout, application_name=self.application_name)

    def get_client(self) -> redshift_connector.Connection:
        """A new redshift_connector connection (the warehouse opens one lazily and re-opens it if dropped)."""
        connection = redshift_connector.connect(**connect_kwargs(self.connection_settings()))
        if self.schema_name != "public":
            cursor = connection.cursor()
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema_name)}")
            cursor.execute(f"SET search_path TO {quote_ident(self.schema_name)}")
            connection.commit()
        return connection

    def open(self, s3_client: Any, *, wait_seconds: float | None = None) -> Warehouse:
        # Redshift serves concurrent readers: there is nothing to wait for.
        from order_pipeline.warehouse.redshift_backend import RedshiftWarehouse

        return RedshiftWarehouse(self.get_client, s3_client, iam_role=self.copy_iam_role,
                                 manifest_prefix=self.manifest_prefix,
                                 serverless=bool(self.serverless_workgroup))


def redshift_resource_from_settings(settings: Settings) -> RedshiftResource:
    redshift = settings.redshift
    return RedshiftResource(
        host=redshift.host, port=redshift.port, database=redshift.database, user=redshift.user,
        password=dg.EnvVar("ORDER_PIPELINE_REDSHIFT_PASSWORD") if not redshift.iam else None,
        iam=redshift.iam, cluster_identifier=redshift.cluster_identifier,
        serverless_workgroup=redshift.serverless_workgroup, db_user=redshift.db_user, region=settings.region,
        ssl=redshift.ssl, copy_iam_role=redshift.copy_iam_role, schema_name=redshift.schema,
        manifest_prefix=settings.layout.manifest_prefix())
