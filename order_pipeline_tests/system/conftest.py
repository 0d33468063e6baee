"""Fixtures of the system tier."""

from __future__ import annotations

import pytest


@pytest.fixture
def postgres(redshift_endpoint):
    """The suite's PostgreSQL cluster (the Redshift endpoint's): each deployment makes a database of its own in it."""
    return redshift_endpoint.postgres
