"""A local Redshift-compatible endpoint for tests: PostgreSQL 15 behind a wire-protocol adapter."""

from order_pipeline_tests.redshift_endpoint.endpoint import RedshiftEndpoint, start_endpoint

__all__ = ["RedshiftEndpoint", "start_endpoint"]
