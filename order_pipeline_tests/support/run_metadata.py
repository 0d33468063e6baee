"""The metadata a run recorded, entry by entry, with its size as stored in the event log: what the big-dates test
and benchmark bound (a run's metadata must not grow with the number of files of its date)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster._serdes import serialize_value

METADATA_ENTRY_LIMIT_BYTES = 64 * 1024


@dataclass(frozen=True)
class MetadataEntry:
    event: str  # "materialization raw/orders_json", "check orders_files_not_quarantined", ...
    name: str
    value: Any
    size: int  # bytes of the serialized value


def run_metadata(instance: dg.DagsterInstance, run_id: str) -> list[MetadataEntry]:
    entries = []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        data = event.event_specific_data
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            label, metadata = (
                f"materialization {data.materialization.asset_key.to_user_string()}",
                data.materialization.metadata,
            )
        elif event.event_type == dg.DagsterEventType.ASSET_OBSERVATION:
            label, metadata = (
                f"observation {data.asset_observation.asset_key.to_user_string()}",
                data.asset_observation.metadata,
            )
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            label, metadata = f"check {data.check_name}", data.metadata
        else:
            continue
        for name, value in metadata.items():
            entries.append(MetadataEntry(label, name, value, len(serialize_value(value))))
    return entries


def largest(entries: list[MetadataEntry]) -> MetadataEntry | None:
    return max(entries, key=lambda e: e.size, default=None)
