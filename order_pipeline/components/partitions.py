"""Daily partitions by landing date. end_offset=1 includes today, so files landing now are loadable now."""

from __future__ import annotations

from datetime import date

import dagster as dg


def landing_date_partitions(start: date) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1, timezone="UTC")
