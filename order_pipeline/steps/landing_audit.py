"""Every file that landed against the ledger, over the whole history: what the demo and run commands report.

A file is accounted for when the ledger holds a row for its version — loaded, quarantined or dead-lettered.
Anything else is named: a green summary over missing data is the worst outcome this product can have.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from order_pipeline.aws.s3_landing import files_of, scan_landing_tree
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing.keys import FileVersion
from order_pipeline.landing.plan import not_in_ledger
from order_pipeline.steps.sensors.landing_tick import LandingSource
from order_pipeline.warehouse.base import Warehouse


@dataclass
class LandingAudit:
    landed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # ledger status -> files of those landed
    unloaded: list[FileVersion] = field(default_factory=list)  # landed, no ledger row
    out_of_range: list[str] = field(default_factory=list)  # landing dates that are no partition (named)
    partitions: int = 0

    @property
    def complete(self) -> bool:
        return not self.unloaded

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items())) or "none in the ledger"
        text = (
            f"{self.landed} files landed in {self.partitions} landing dates: {counts}; {len(self.unloaded)} not loaded"
        )
        if self.unloaded:
            text += " — " + ", ".join(v.uri for v in self.unloaded[:20]) + (" …" if len(self.unloaded) > 20 else "")
        if self.out_of_range:
            text += f"; landing dates outside the partitions: {', '.join(self.out_of_range[:10])}"
        return text


def audit_landing(s3: Any, warehouse: Warehouse, source: LandingSource, dataset: Dataset, today: date) -> LandingAudit:
    tree = scan_landing_tree(s3, source.bucket, source.root)
    found = tree.partitions()
    partitions = sorted(p for p in found if source.in_range(p, today))
    files = files_of(s3, source.bucket, tree, partitions)
    held = warehouse.ledger_by_partition(dataset, partitions)
    statuses = warehouse.ledger_statuses(dataset, [v for versions in files.values() for v in versions])
    audit = LandingAudit(
        landed=sum(len(v) for v in files.values()),
        partitions=len(partitions),
        out_of_range=sorted(set(found) - set(partitions)),
    )
    audit.statuses = dict(Counter(statuses.values()))
    for partition, versions in files.items():
        audit.unloaded.extend(not_in_ledger(versions, held.get(partition, set())))
    return audit
