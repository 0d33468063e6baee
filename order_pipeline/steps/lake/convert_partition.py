"""Landing files of one partition → canonical Parquet in the lake, rejects and bad files to quarantine.

Each file is downloaded to a temporary folder and converted by the same `convert_file` the CLI uses, so
memory stays bounded whatever the file size. The conversion record is written last: a crash before it
means the file is simply converted again next time (up to MAX_ATTEMPTS times, see conversion_attempts).

Whatever is wrong with one file quarantines that file, never the partition: only infrastructure faults
(S3, network, the local disk) raise, so that the step is retried.
"""

from __future__ import annotations

import errno
import itertools
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError

from order_pipeline.aws import s3_objects
from order_pipeline.aws.local_copies import LocalCopies
from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.conversion import ConversionResult, convert_file
from order_pipeline.conversion.drift import probe_file, type_label
from order_pipeline.conversion.limits import DEFAULT_LIMITS, ConversionLimits
from order_pipeline.conversion.parallel import ordered_map
from order_pipeline.datasets.declaration import Dataset
from order_pipeline.landing import FileVersion, is_hidden
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.attempt_owner import AttemptOwner, current_owner
from order_pipeline.steps.lake.conversion_attempts import MAX_ATTEMPTS, ConversionAttempts, cut_short_reason
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.lake_summary import LakeSummary
from order_pipeline.steps.lake.schema_state import SchemaStateStore
from order_pipeline.steps.lake.step_attempt import StepAttempt

INFRASTRUCTURE_ERRORS = (OSError, BotoCoreError, ClientError, Boto3Error)
PARALLEL_FILES = 2  # small files of a partition converted at once (the machines this runs on have 2+ cores)
ALONE_BYTES = 64 << 20  # a file this big is converted by itself
LOCAL_FAULTS = (errno.ENOSPC, errno.EDQUOT)  # the local disk full while converting: may be the file's own doing


class CountedAttempt(OSError):
    """A local fault (disk full, out of memory) while converting one file: the step fails and is retried, but
    the attempt counts against the file (issue 20 item 4), so a file that fills the disk is not retried forever."""


def read_record(
    s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, version: FileVersion, etag: str | None = None
) -> ConvertedFile | None:
    """The version's conversion record (None: not converted yet); `etag`, when a listing gave it, lets a local
    copy kept by the lake step on this machine answer without a request."""
    key = layout.record_key(dataset.name, partition, version)
    copy = LocalCopies().find(layout.bucket, key, etag)
    if copy is not None:
        try:
            return ConvertedFile.from_json(copy.read_bytes())
        except (OSError, ValueError, TypeError, KeyError):
            pass
    try:
        body = s3.get_object(Bucket=layout.bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return ConvertedFile.from_json(body)


def _write_record(s3: Any, layout: LakeLayout, dataset: Dataset, converted: ConvertedFile) -> ConvertedFile:
    key = layout.record_key(dataset.name, converted.partition, converted.source)
    body = converted.to_json().encode()
    written = s3.put_object(Bucket=layout.bucket, Key=key, Body=body, ContentType="application/json")
    LocalCopies().keep(layout.bucket, key, written.get("ETag"), body)
    return converted


def _upload_part(s3: Any, path: Path, bucket: str, key: str) -> tuple[str, str | None]:
    """A canonical Parquet part uploaded (one PUT below the multipart threshold) and a local copy kept for the
    warehouse step; returns its URI and ETag."""
    etag = s3_objects.put_file(s3, path, bucket, key)
    LocalCopies().keep(bucket, key, etag, path)
    return f"s3://{bucket}/{key}", etag


def _quarantine(
    s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, version: FileVersion, error: str, **details: Any
) -> str:
    """The file copied to quarantine beside an `.error.json` naming why; returns the copy's URI."""
    copy_key = layout.quarantine_key(dataset.name, partition, version)
    uri = s3_objects.copy_object(s3, version, layout.bucket, copy_key)
    report = {"source": version.uri, "etag": version.etag, "error": error, **details}
    s3_objects.put_bytes(
        s3,
        layout.bucket,
        layout.quarantine_key(dataset.name, partition, version, ".error.json"),
        json.dumps(report, indent=2, default=str).encode(),
        "application/json",
    )
    return uri


def _quarantined_record(
    s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, version: FileVersion, error: str, attempts: int = 1
) -> ConvertedFile:
    """A file quarantined without a conversion result (hidden name, crashed conversions, a failure of ours)."""
    uri = _quarantine(s3, layout, dataset, partition, version, error, attempts=attempts)
    return _write_record(
        s3,
        layout,
        dataset,
        ConvertedFile(
            source=version, partition=partition, status="rejected", quarantine_uri=uri, error=error, attempts=attempts
        ),
    )


def _hidden_name(s3: Any, layout: LakeLayout, dataset: Dataset, partition: str, version: FileVersion) -> ConvertedFile:
    """A name starting with `.` or `_`: a zero-byte one is a marker (Spark's `_SUCCESS`), recorded as ignored;
    anything else is quarantined, as a half-written or temporary upload may be."""
    name = version.key.rsplit("/", 1)[-1]
    if version.size == 0:
        return _write_record(
            s3,
            layout,
            dataset,
            ConvertedFile(
                source=version,
                partition=partition,
                status="ignored",
                input_format="empty",
                error=f"ignored: {version.uri} is a zero-byte marker with a hidden name (like Spark's _SUCCESS)",
                counts={"read": 0, "written": 0, "rejected": 0},
            ),
        )
    error = (
        f"{version.uri}: hidden or temporary file name ({name!r} starts with "
        f"{name[0]!r}: such files are not loaded); rename it to load it"
    )
    return _quarantined_record(s3, layout, dataset, partition, version, error)


def _store_result(
    s3: Any,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    version: FileVersion,
    result: ConversionResult,
    attempts: int,
    drift: dict[str, Any],
) -> ConvertedFile:
    parts: dict[str, str] = {}
    part_etags: dict[str, str] = {}
    uploads: list[tuple[str, Path, str]] = []  # (table, path, key): independent, so sent at once
    if result.status != "rejected":
        uploads = [(t, path, layout.part_key(t, partition, version)) for t, path in result.outputs.items()]
    rejects_uri = None
    with ThreadPoolExecutor(max_workers=max(1, len(uploads) + 1), thread_name_prefix="upload") as pool:
        sent = {table: pool.submit(_upload_part, s3, path, layout.bucket, key) for table, path, key in uploads}
        if result.rejects_path is not None and result.rejected_records:
            rejects_uri = s3_objects.upload(
                s3,
                result.rejects_path,
                layout.bucket,
                layout.quarantine_key(dataset.name, partition, version, ".rejects.jsonl"),
                "application/x-ndjson",
            )
        for table, future in sent.items():
            parts[table], etag = future.result()
            if etag:
                part_etags[table] = etag
    quarantine_uri = None
    if result.status == "rejected":
        quarantine_uri = _quarantine(
            s3,
            layout,
            dataset,
            partition,
            version,
            result.file_error or "rejected",
            rejected_records=result.rejected_records,
            counts=result.counts,
            first_rejects=list(result.first_rejects),
        )
    return _write_record(
        s3,
        layout,
        dataset,
        ConvertedFile(
            source=version,
            partition=partition,
            status=result.status,
            input_format=result.input_format,
            total_records=result.total_records,
            parts=parts,
            part_etags=part_etags,
            rows=dict(result.rows),
            rejected_records=result.rejected_records,
            rejects_uri=rejects_uri,
            quarantine_uri=quarantine_uri,
            error=result.file_error,
            first_rejects=[dict(r) for r in result.first_rejects],
            counts=dict(result.counts),
            attempts=attempts,
            **drift,
        ),
    )


def _drift(
    store: SchemaStateStore, local: Path, version: FileVersion, limits: ConversionLimits
) -> tuple[Dataset, dict[str, Any]]:
    """Undeclared fields of the file recorded in the dataset's schema state (evolving it when the dataset adds new
    columns); returns the dataset to convert with and what the conversion record keeps of it."""
    fields = probe_file(store.effective(), local, version.uri, limits)
    effective, seen = store.observe(
        [(f.path, f.type, f.top_level) for f in fields],
        version.uri,
        limits.max_drift_paths,
        limits.max_evolved_columns,
    )
    return effective, {
        "undeclared": {f.path: type_label(f.type)[:200] for f in fields[: limits.max_drift_paths]},
        "undeclared_more": max(0, len(fields) - limits.max_drift_paths),
        "drift_reported": list(seen.reported),
        "drift_notes": dict(seen.not_evolved),
        "drift_untracked": seen.untracked,
        "drift_state_filled": seen.filled,
        "evolved": [c.name for c in effective.evolved],
    }


def _convert(
    s3: Any,
    layout: LakeLayout,
    schema: SchemaStateStore,
    partition: str,
    version: FileVersion,
    attempts: int,
    limits: ConversionLimits,
) -> ConvertedFile:
    with tempfile.TemporaryDirectory(prefix="order-pipeline-") as tmp:
        local = Path(tmp) / "source"
        s3_objects.download(s3, version.uri, local, size=version.size)
        dataset, drift = _drift(schema, local, version, limits)
        try:
            result = convert_file(
                dataset,
                local,
                Path(tmp) / "out",
                source_name=version.uri,
                landed_at=version.last_modified,
                limits=limits,
            )
        except (OSError, MemoryError) as error:
            if isinstance(error, OSError) and error.errno not in LOCAL_FAULTS:
                raise
            cause = f"{type(error).__name__}: {str(error)[:300]}"
            if attempts < MAX_ATTEMPTS:
                raise CountedAttempt(f"{version.uri}: attempt {attempts} failed on a local fault ({cause})") from error
            reason = f"{version.uri}: conversion failed {attempts} times on a local fault ({cause}); quarantined"
            return _quarantined_record(s3, layout, dataset, partition, version, reason, attempts)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as error:  # noqa: BLE001 - convert_file isolates bad data; this is a safety net
            return _quarantined_record(
                s3,
                layout,
                dataset,
                partition,
                version,
                f"{version.uri}: the file could not be converted ({type(error).__name__}: {str(error)[:500]})",
                attempts,
            )
        return _store_result(s3, layout, dataset, partition, version, result, attempts, drift)


def convert_landing_file(
    s3: Any,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    version: FileVersion,
    *,
    attempts_recorded: bool = True,
    schema: SchemaStateStore | None = None,
    guarded: bool = True,
    owner: AttemptOwner | None = None,
    limits: ConversionLimits = DEFAULT_LIMITS,
) -> ConvertedFile:
    """One landing file converted (or quarantined); `attempts_recorded=False` when a listing showed no attempts
    record for the version, which saves reading it; `schema`: the dataset's schema state shared by the files of
    a step (default: read for this file); `guarded=False` when the step's own crash guard (step_attempt) covers
    the file, which saves writing and removing its attempts record."""
    if is_hidden(version.key):
        return _hidden_name(s3, layout, dataset, partition, version)
    schema = schema or SchemaStateStore(s3, layout, dataset)
    if not guarded:
        return _convert(s3, layout, schema, partition, version, 1, limits)
    guard = ConversionAttempts(s3, layout, dataset, partition, version, owner)
    cut_short = guard.cut_short() if attempts_recorded else 0
    if cut_short >= MAX_ATTEMPTS:
        converted = _quarantined_record(
            s3, layout, dataset, partition, version, cut_short_reason(version, cut_short), cut_short
        )
        guard.finish()
        return converted
    guard.start(cut_short)
    try:
        converted = _convert(s3, layout, schema, partition, version, cut_short + 1, limits)
    except CountedAttempt:
        guard.count_failure()  # the fault may be the file's own: it counts
        raise
    except BaseException:
        guard.finish(previous=cut_short)  # we are alive to see it: not a crash, the step's retry tries again
        raise
    guard.finish()
    return converted


def convert_partition(
    s3: Any,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    files: Sequence[FileVersion],
    owner: AttemptOwner | None = None,
    limits: ConversionLimits = DEFAULT_LIMITS,
) -> Iterator[tuple[ConvertedFile, bool]]:
    """Convert every file not converted yet; yields (record, converted_now) per file, in file order.

    A file whose earlier attempt was cut short (its process died) is converted first and alone, guarded by its
    own attempts record: were it the one killing the process, an innocent neighbour must not be charged the crash.
    The others are guarded by one object for the whole step (step_attempt: no request per file). Small files are
    converted PARALLEL_FILES at a time, so that both cores work while one file waits on S3 or runs Python; a file of
    ALONE_BYTES or more is converted alone (it already parses on every core, and memory stays within one
    conversion's bound).
    """
    listed = {
        item.key: item.etag
        for item in s3_objects.list_prefix(s3, layout.bucket, layout.conversions_folder(dataset.name, partition))
    }
    LocalCopies().prune()
    schema = SchemaStateStore(s3, layout, dataset)
    owner = owner or current_owner()  # whose attempts these are: overlapping runs' in flight are not crashes
    step = StepAttempt(s3, layout, dataset, partition, owner)
    listed.update({layout.attempts_key(dataset.name, partition, v): "" for v in step.charge_cut_short(files, listed)})

    def suspect(version: FileVersion) -> bool:
        return layout.attempts_key(dataset.name, partition, version) in listed

    def done(version: FileVersion) -> ConvertedFile | None:
        etag = listed.get(layout.record_key(dataset.name, partition, version))
        return None if etag is None else read_record(s3, layout, dataset, partition, version, etag)

    def converted_before(version: FileVersion) -> bool:  # read back when its turn comes: memory stays bounded
        return layout.record_key(dataset.name, partition, version) in listed

    suspects = {
        f.version_id: convert_landing_file(s3, layout, dataset, partition, f, schema=schema, owner=owner, limits=limits)
        for f in files
        if not converted_before(f) and suspect(f)
    }
    rest = [f for f in files if not converted_before(f) and f.version_id not in suspects]

    def one(version: FileVersion) -> ConvertedFile:
        try:
            return convert_landing_file(
                s3,
                layout,
                dataset,
                partition,
                version,
                attempts_recorded=False,
                schema=schema,
                guarded=False,
                limits=limits,
            )
        except CountedAttempt:  # the step's guard does not charge it: the file's own attempts record does
            ConversionAttempts(s3, layout, dataset, partition, version, owner).count_failure()
            raise

    def alone(version: FileVersion) -> bool:
        return version.size >= ALONE_BYTES

    def converted_rest() -> Iterator[ConvertedFile]:
        if not rest:
            return
        step.start(rest)
        try:
            for by_itself, group in itertools.groupby(rest, key=alone):
                yield from ordered_map(one, group, 1 if by_itself else PARALLEL_FILES)
        finally:
            step.finish()

    now = converted_rest()
    for version in files:
        if converted_before(version):
            record = done(version)
            if record is not None:
                yield record, False
            else:  # its record could not be read back: convert it again, alone
                yield (
                    convert_landing_file(
                        s3, layout, dataset, partition, version, schema=schema, owner=owner, limits=limits
                    ),
                    True,
                )
        elif version.version_id in suspects:
            yield suspects[version.version_id], True
        else:
            yield next(now), True
    for _ in now:  # nothing is left: this closes the step's guard
        pass


@dataclass(frozen=True)
class LakeRun:
    """One landing date through the lake step, summed up in bounded memory (lake_summary): counts, totals and the
    first few of each list; each file's conversion record stays in the lake, beside its Parquet."""

    partition: str
    summary: LakeSummary
    seconds: float

    @property
    def converted_now(self) -> int:
        return self.summary.converted_now


def convert_landing_date(
    s3: Any,
    layout: LakeLayout,
    dataset: Dataset,
    partition: str,
    owner: AttemptOwner | None = None,
    limits: ConversionLimits = DEFAULT_LIMITS,
    *,
    on_converted: Callable[[ConvertedFile], None] | None = None,
) -> LakeRun:
    """Every landing file of the date converted once: those converted by an earlier run are only read back.
    `on_converted` is called with each file converted now, as it is converted (its record is then dropped)."""
    started = time.monotonic()
    files = list_landing_day(s3, layout.bucket, layout.landing_root(dataset.name), date.fromisoformat(partition))
    summary = LakeSummary()
    for converted, converted_now in convert_partition(s3, layout, dataset, partition, files, owner, limits):
        summary.add(converted, converted_now)
        if converted_now and on_converted is not None:
            on_converted(converted)
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages: the next step wants them
    return LakeRun(partition, summary, round(time.monotonic() - started, 3))
