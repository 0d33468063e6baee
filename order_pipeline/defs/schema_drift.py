"""Schema drift in the lake asset: undeclared fields in its materialization metadata and a `schema_drift`
notification, once per new field per dataset (the dataset's schema state remembers what was reported)."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from order_pipeline.datasets.declaration import Dataset
from order_pipeline.defs.metadata import markdown_table
from order_pipeline.defs.resources import SNSResource
from order_pipeline.notifications import PipelineEvent
from order_pipeline.steps.lake_files import ConvertedFile


def drift_metadata(records: Sequence[ConvertedFile]) -> dict[str, object]:
    """Undeclared fields seen in the partition's files: path, type, how many files, whether a column holds it."""
    seen: dict[str, tuple[str, int]] = {}
    for record in records:
        for path, type_ in record.undeclared.items():
            seen[path] = (type_, seen.get(path, (type_, 0))[1] + 1)
    if not seen:
        return {}
    evolved = {name for record in records for name in record.evolved}
    rows = [(path, type_, files, "column added" if path in evolved else "reported only")
            for path, (type_, files) in sorted(seen.items())]
    return {"schema_drift": markdown_table(["field", "type", "files", "warehouse"], rows),
            "undeclared_fields": dg.MetadataValue.json(sorted(seen))}


def publish_drift(notifier: SNSResource, dataset: Dataset, partition: str, asset: str,
                  converted: ConvertedFile) -> None:
    """The fields this file was the first to show, once per field and dataset."""
    if not converted.drift_reported:
        return
    fields = [{"field": path, "type": converted.undeclared.get(path, ""),
               "column_added": path in converted.evolved,
               **({"not_added": converted.drift_notes[path]} if path in converted.drift_notes else {})}
              for path in converted.drift_reported]
    notifier.publish(PipelineEvent("schema_drift", dataset=dataset.name, partition=partition, asset=asset,
                                   details={"file": converted.source.uri, "fields": fields,
                                            "new_columns": dataset.new_columns}))
