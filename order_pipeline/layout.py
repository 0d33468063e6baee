"""Where every object of the pipeline lives in its bucket — decided here, once. Pure: no boto3, no Dagster.

    <landing>/<dataset>/…                          what producers write (see order_pipeline.landing.keys)
    <landing>/<dataset>/dt=D/replay-<name>         a replayed quarantined file or record set
    <lake>/<table>/dt=D/<file>.<id>.parquet        canonical Parquet of one landing file version
    <lake>/_conversions/<dataset>/dt=D/<file>.<id>.json[.attempts]   its conversion record (and crash guard)
    <lake>/_conversions/<dataset>/dt=D/_load.attempts.json           the warehouse step's crash guard
    <lake>/_schemas/<dataset>.json                 the dataset's schema state (drift reported, columns added)
    <lake>/_manifests/…                            Redshift COPY manifests
    <lake>/_sensors/<queue>/…                      receipt handles an events-mode tick acknowledges next
    <quarantine>/<dataset>/dt=D/<file>.<id>[.error.json|.rejects.jsonl]

Every derived name comes from the file version (key@ETag): re-running a step overwrites the same objects, and a
re-written landing object gets new ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from order_pipeline.landing.keys import FileVersion

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(version: FileVersion) -> str:
    """A name safe in any S3 URI or COPY manifest: the file name made plain, plus the version's short id."""
    filename = version.key.rsplit("/", 1)[-1]
    return f"{_UNSAFE.sub('_', filename)[:100]}.{version.short_id}"


@dataclass(frozen=True)
class LakeLayout:
    bucket: str
    landing_prefix: str = "landing"
    lake_prefix: str = "lake"
    quarantine_prefix: str = "quarantine"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _lake(self, *parts: str) -> str:
        return "/".join((self.lake_prefix.strip("/"), *parts))

    # -- landing ----------------------------------------------------------------------------------

    def landing_root(self, dataset: str) -> str:
        return f"{self.landing_prefix.strip('/')}/{dataset}/"

    def replay_key(self, dataset: str, partition: str, name: str) -> str:
        return f"{self.landing_root(dataset)}dt={partition}/replay-{name}"

    # -- lake -------------------------------------------------------------------------------------

    def lake_folder(self, table: str, partition: str) -> str:
        return self._lake(table, f"dt={partition}/")

    def part_key(self, table: str, partition: str, version: FileVersion) -> str:
        return self.lake_folder(table, partition) + f"{safe_name(version)}.parquet"

    def record_key(self, dataset: str, partition: str, version: FileVersion) -> str:
        return self._lake("_conversions", dataset, f"dt={partition}", f"{safe_name(version)}.json")

    def attempts_key(self, dataset: str, partition: str, version: FileVersion) -> str:
        """Beside the conversion record: how many times converting this version started without finishing."""
        return self.record_key(dataset, partition, version) + ".attempts"

    def load_attempts_key(self, dataset: str, partition: str) -> str:
        """One per partition: the file versions whose warehouse load started and has not ended."""
        return self._lake("_conversions", dataset, f"dt={partition}", "_load.attempts.json")

    def schema_state_key(self, dataset: str) -> str:
        """The dataset's schema state: undeclared fields already reported, columns schema evolution added."""
        return self._lake("_schemas", f"{dataset}.json")

    def manifest_prefix(self) -> str:
        """s3://… of the folder Redshift COPY manifests are written to."""
        return self.uri(self._lake("_manifests/"))

    def sensor_state_prefix(self, queue: str) -> str:
        return self._lake("_sensors", f"{queue}/")

    # -- quarantine -------------------------------------------------------------------------------

    def quarantine_folder(self, dataset: str, partition: str) -> str:
        return f"{self.quarantine_prefix.strip('/')}/{dataset}/dt={partition}/"

    def quarantine_key(self, dataset: str, partition: str, version: FileVersion, suffix: str = "") -> str:
        return f"{self.quarantine_folder(dataset, partition)}{safe_name(version)}{suffix}"
