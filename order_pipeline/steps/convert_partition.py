"""Landing files of one partition → canonical Parquet in the lake, rejects and bad files to quarantine.

Each file is downloaded to a temporary folder and converted by the same `convert_file` the CLI uses, so
memory stays bounded whatever the file size. The conversion record is written last: a crash before it
means the file is simply converted again next time.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from order_pipeline.aws import s3_objects
from order_pipeline.config import Settings
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion
from order_pipeline.steps.lake_files import ConvertedFile, part_key, quarantine_key, record_key


def read_record(s3: Any, settings: Settings, dataset: Dataset, partition: str,
                version: FileVersion) -> ConvertedFile | None:
    key = record_key(settings, dataset, partition, version)
    try:
        body = s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return ConvertedFile.from_json(body)


def convert_landing_file(s3: Any, settings: Settings, dataset: Dataset, partition: str,
                         version: FileVersion) -> ConvertedFile:
    with tempfile.TemporaryDirectory(prefix="order-pipeline-") as tmp:
        local = Path(tmp) / "source"
        s3_objects.download(s3, version.uri, local)
        result = convert_file(dataset, local, Path(tmp) / "out", source_name=version.uri)
        parts: dict[str, str] = {}
        if result.status != "rejected":
            for table, path in result.outputs.items():
                parts[table] = s3_objects.upload(s3, path, settings.bucket,
                                                 part_key(settings, table, partition, version))
        rejects_uri = None
        if result.rejects_path is not None and result.rejected_records:
            rejects_uri = s3_objects.upload(
                s3, result.rejects_path, settings.bucket,
                quarantine_key(settings, dataset, partition, version, ".rejects.jsonl"), "application/x-ndjson")
        quarantine_uri = None
        if result.status == "rejected":
            quarantine_uri = s3_objects.copy_object(
                s3, version, settings.bucket, quarantine_key(settings, dataset, partition, version, ""))
            report = {"source": version.uri, "etag": version.etag, "error": result.file_error,
                      "rejected_records": result.rejected_records, "first_rejects": list(result.first_rejects)}
            s3_objects.put_bytes(s3, settings.bucket,
                                 quarantine_key(settings, dataset, partition, version, ".error.json"),
                                 json.dumps(report, indent=2, default=str).encode(), "application/json")
    converted = ConvertedFile(
        source=version, partition=partition, status=result.status, input_format=result.input_format,
        total_records=result.total_records, parts=parts, rows=dict(result.rows),
        rejected_records=result.rejected_records, rejects_uri=rejects_uri, quarantine_uri=quarantine_uri,
        error=result.file_error, first_rejects=[dict(r) for r in result.first_rejects],
    )
    s3_objects.put_bytes(s3, settings.bucket, record_key(settings, dataset, partition, version),
                         converted.to_json().encode(), "application/json")
    return converted


def convert_partition(s3: Any, settings: Settings, dataset: Dataset, partition: str,
                      files: Sequence[FileVersion]) -> Iterator[tuple[ConvertedFile, bool]]:
    """Convert every file not converted yet; yields (record, converted_now) per file, in file order."""
    for version in files:
        existing = read_record(s3, settings, dataset, partition, version)
        if existing is not None:
            yield existing, False
        else:
            yield convert_landing_file(s3, settings, dataset, partition, version), True
