"""convert_file: one input file -> canonical Parquet per table, validated, with per-record rejects.

Poison-proof: an exception while converting one record makes that record a reject (with the exception as
its reason); any other failure makes the whole file a "rejected" result. Only environment problems (the
local disk: OSError) raise. Every record is accounted for: read = written + rejected (see accounting).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from datetime import datetime, timezone
from pathlib import Path

from order_pipeline.conversion.accounting import AccountingError, RecordCounts, check_batch, check_file
from order_pipeline.conversion.errors import ConversionError, SchemaMismatch
from order_pipeline.conversion.limits import DEFAULT_LIMITS, ConversionLimits
from order_pipeline.conversion.parallel import ordered_map
from order_pipeline.conversion.read.batch import ParsedBatch, Reject
from order_pipeline.conversion.read.csv_reading import csv_batches
from order_pipeline.conversion.read.formats import HEAD_BYTES, InputFormat, sniff
from order_pipeline.conversion.read.input_schema import input_schema, raw_json_fields
from order_pipeline.conversion.read.json_reading import JsonChunkReader
from order_pipeline.conversion.read.parquet_reading import parquet_batches
from order_pipeline.conversion.read.text_sources import TextChunk, document_chunks, jsonl_chunks, open_stream
from order_pipeline.conversion.read.text_split import ramped
from order_pipeline.conversion.result import ConversionResult, ConversionStatus
from order_pipeline.conversion.validate.validation import Reasons, Validated, validate
from order_pipeline.conversion.write.reject_log import RejectLog
from order_pipeline.conversion.write.table_outputs import TableOutputs
from order_pipeline.datasets.declaration import Dataset

# JSON text is parsed in chunks of batch_rows * 64 bytes, between 1 KiB and 4 MiB: small chunks keep the
# parse threads' working set in cache and memory flat (measured: 4 MiB beats 16 MiB by ~1.5x here).
# Parquet row groups still get batch_rows rows (TableOutputs buffers).
CHUNK_BYTES_PER_ROW = 64
MIN_CHUNK_BYTES = 1024
MAX_CHUNK_BYTES = 4 << 20
THREADS = max(2, min(4, os.cpu_count() or 2))  # reading + validating batches
FIRST_CHUNK_RECORDS = 1024  # JSON chunks start this small and double up to batch_rows records (see text_split)


def _sniff_file(source: Path, name: str) -> InputFormat:
    with open(source, "rb") as file:
        return sniff(file.read(HEAD_BYTES), name)


def _json_chunks(
    source: Path, fmt: InputFormat, chunk_bytes: int, name: str, limits: ConversionLimits, batch_rows: int
) -> Iterator[TextChunk]:
    with open_stream(source, fmt, limits, name) as stream:
        if fmt.kind == "jsonl":
            chunks = jsonl_chunks(stream, chunk_bytes, name, limits.max_record_bytes)
        else:
            chunks = document_chunks(stream, min(chunk_bytes, limits.document_chunk_bytes), name, limits)
        yield from ramped(chunks, min(FIRST_CHUNK_RECORDS, batch_rows), batch_rows)


def _validated_batches(
    dataset: Dataset,
    source: Path,
    fmt: InputFormat,
    batch_rows: int,
    chunk_bytes: int,
    name: str,
    landed_at: datetime,
    limits: ConversionLimits,
) -> Generator[Validated, None, None]:
    """The file's batches, validated, in file order with ordinals counted from the start of the file.
    Reading (JSON parsing) and validation of a batch run together on one of THREADS threads, so both cores
    work on the file; the caller writes while the next batches are being read."""
    if fmt.kind in ("parquet", "csv", "tsv"):  # ordinals already count from the file
        if fmt.kind == "parquet":
            batches = parquet_batches(source, dataset, batch_rows, name, limits=limits)
        else:
            batches = csv_batches(source, fmt, dataset, batch_rows, name)
        yield from ordered_map(lambda batch: validate(dataset, batch, name, landed_at), batches, THREADS)
        return
    reader = JsonChunkReader(
        input_schema(dataset),
        dataset.extra_fields == "reject",
        raw_json_fields(dataset),
        input_schema(dataset, with_json=True),
        limits.max_record_bytes,
    )

    def read_and_validate(chunk: TextChunk) -> Validated:
        return validate(dataset, reader.read(chunk), name, landed_at)

    records = 0
    chunks = _json_chunks(source, fmt, chunk_bytes, name, limits, batch_rows)
    for validated in ordered_map(read_and_validate, chunks, THREADS):
        yield validated.shifted(records)
        records += validated.batch.records


def _threshold_error(dataset: Dataset, total: int, bad: int, name: str) -> str | None:
    if total == 0:
        return f"{name}: the file holds no records"
    share = bad / total
    if bad > dataset.max_bad_records:
        limit = f"{dataset.max_bad_records} invalid records"
    elif share > dataset.max_bad_ratio:
        limit = f"{dataset.max_bad_ratio:.0%}"
    else:
        return None
    return f"{name}: {bad} of {total} records invalid ({share:.0%}), above the dataset's limit of {limit}"


def _stopped_early(dataset: Dataset, total: int, bad: int, kept: int, name: str) -> str:
    """The threshold error of a file rejected as soon as its bad records passed max_bad_records."""
    return (
        f"{_threshold_error(dataset, total, bad, name)}; the file is rejected whatever follows, so reading stopped "
        f"after record {total} (the first {kept} rejects are kept with their reasons)"
    )


def _batch_rejects(batch: ParsedBatch, reasons: Reasons, room: int) -> tuple[list[Reject], int]:
    """The batch's first `room` rejects in record order (their raw records recovered) and how many it holds."""
    rows = sorted(reasons, key=lambda row: int(batch.ordinals[row]))
    pending = sorted(
        [(reject.record, reject) for reject in batch.read_rejects] + [(int(batch.ordinals[row]), row) for row in rows],
        key=lambda entry: entry[0],
    )
    rejects = []
    for ordinal, entry in pending[: max(room, 0)]:
        if isinstance(entry, Reject):
            rejects.append(entry)
            continue
        try:
            line, raw = batch.origin(entry)
        except Exception as exc:  # noqa: BLE001 - the reject is kept even when its raw record cannot be shown
            line, raw = None, f"(the raw record could not be recovered: {type(exc).__name__}: {exc})"
        rejects.append(Reject(ordinal, line, reasons[entry], raw))
    return rejects, len(pending)


def _record(dataset: Dataset, validated: Validated, name: str, outputs: TableOutputs, rejects: RejectLog) -> None:
    """Account for a validated batch, report its rejects and write its rows."""
    batch, tables, reasons = validated.batch, validated.tables, validated.reasons
    written = sum(t[dataset.name].num_rows for t in tables)
    if written + len(reasons) != batch.table.num_rows:
        raise AccountingError(
            f"{name}: {batch.table.num_rows} rows were validated into {written} rows and "
            f"{len(reasons)} rejects; the file is quarantined instead of loading a partial result"
        )
    if batch.read_rejects or reasons:
        kept, found = _batch_rejects(batch, reasons, rejects.room)
        rejects.add(kept, found)
    for table_set in tables:
        outputs.write(table_set)


def _convert_batch(
    dataset: Dataset, batch: ParsedBatch, name: str, outputs: TableOutputs, rejects: RejectLog, landed_at: datetime
) -> None:
    """One batch (ordinals counting from the start of the file) validated and recorded on this thread."""
    _record(dataset, validate(dataset, batch, name, landed_at), name, outputs, rejects)


def convert_file(
    dataset: Dataset,
    source: Path,
    out_dir: Path,
    *,
    source_name: str | None = None,
    batch_rows: int = 65_536,
    chunk_bytes: int | None = None,
    landed_at: datetime | None = None,
    limits: ConversionLimits = DEFAULT_LIMITS,
) -> ConversionResult:
    """Convert one input file (JSON Lines, JSON array or object, Parquet, CSV or TSV; gzip or not) into
    `out_dir/<table>.parquet` for every table of `dataset`, plus `out_dir/rejects.jsonl` if any record is
    rejected. Bad data gives a "rejected" result; only environment problems raise. `chunk_bytes` overrides
    the JSON read chunk size (tests use small ones to cross chunk boundaries often). `landed_at` is when the
    file landed (the version of its records when the dataset has no version column); default: the local
    file's modification time. `limits`: what the file may cost (a breach quarantines it, naming the limit).
    As soon as more than `dataset.max_bad_records` records are rejected the file is rejected without reading on;
    the rejects report keeps the first `max_bad_records + 1` rejects (the count covers all found).
    Nothing already in `out_dir` is removed or overwritten: FileExistsError when it holds one of those outputs."""
    name = source_name or str(source)
    source, out_dir = Path(source), Path(out_dir)
    if landed_at is None:
        landed_at = datetime.fromtimestamp(source.stat().st_mtime, timezone.utc)
    out_dir.mkdir(parents=True, exist_ok=True)
    if chunk_bytes is None:
        chunk_bytes = min(max(batch_rows * CHUNK_BYTES_PER_ROW, MIN_CHUNK_BYTES), MAX_CHUNK_BYTES)
    rejects = RejectLog(out_dir, name, keep=dataset.max_bad_records + 1)
    outputs = TableOutputs(dataset, out_dir, batch_rows)
    label = ""
    total = 0
    try:
        try:
            fmt = _sniff_file(source, name)
            label = fmt.label
            batches = _validated_batches(dataset, source, fmt, batch_rows, chunk_bytes, name, landed_at, limits)
            for validated in batches:
                check_batch(validated.batch, total + 1, name)
                _record(dataset, validated, name, outputs, rejects)
                total += validated.batch.records
                if rejects.count > dataset.max_bad_records:
                    batches.close()  # stops the readers: pending chunks are cancelled
                    raise ConversionError(_stopped_early(dataset, total, rejects.count, rejects.kept, name))
            error = _threshold_error(dataset, total, rejects.count, name)
            if error:
                raise ConversionError(error)
            check_file(RecordCounts(total, outputs.rows[dataset.name], rejects.count), name)
        except (ConversionError, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever else goes wrong with this file quarantines it
            raise ConversionError(
                f"{name}: the file could not be converted ({type(exc).__name__}: {str(exc)[:500]})"
            ) from exc
    except ConversionError as exc:
        outputs.discard()
        counts = RecordCounts(total, 0, rejects.count)
        records = exc.rows if isinstance(exc, SchemaMismatch) else total  # a mismatch is found before reading
        return ConversionResult(
            name,
            "rejected",
            records,
            {},
            {},
            rejects.count,
            rejects.close(),
            str(exc),
            tuple(rejects.first),
            label,
            counts.as_dict(),
        )
    except BaseException:
        outputs.discard()
        rejects.close()
        raise
    paths = outputs.commit()
    status: ConversionStatus = "partial" if rejects.count else "converted"
    counts = RecordCounts(total, outputs.rows[dataset.name], rejects.count)
    return ConversionResult(
        name,
        status,
        total,
        dict(outputs.rows),
        paths,
        rejects.count,
        rejects.close(),
        None,
        tuple(rejects.first),
        label,
        counts.as_dict(),
    )
