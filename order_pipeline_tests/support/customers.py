"""A second dataset, declared once for every test that needs one: customer master data."""

from __future__ import annotations

from order_pipeline.datasets.declaration import Column, Dataset

CUSTOMERS = Dataset(
    name="customers",
    merge_key=("customer_id",),
    version_column="version",
    event_time_column="signed_up_at",
    owners=("team:crm",),
    description="Customer master data",
    columns=(
        Column("customer_id", "int64", nullable=False),
        Column("name", "string", max_bytes=128),
        Column("vip", "boolean"),
        Column("signed_up_at", "timestamp", nullable=False),
        Column("version", "int64", nullable=False, min_value=1),
    ),
)
