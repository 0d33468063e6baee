"""One tick of a landing sensor, without Dagster: find new or unloaded files, decide the partition runs.

Three sources, one decision (`PartitionRequest`s, one per partition, merged):
- events mode: S3 event notifications received from the dataset's SQS queue; the handles received are
  acknowledged on the *next* tick, once the cursor that requested their runs is committed;
- listing mode: the window of recent dates, compared with the per-date digests in the cursor;
- both modes: a backlog of every landing date discovered on the first tick (no cursor), compared with the
  ledger a bounded number of dates per tick — history is loaded, and what the ledger holds is not requested.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from order_pipeline.aws import sqs_queue
from order_pipeline.aws.s3_landing import LandingTree, files_of, list_landing_window, scan_landing_tree
from order_pipeline.aws.s3_objects import put_bytes
from order_pipeline.landing.cursor import LandingCursor
from order_pipeline.landing.events import ObjectCreated, parse_message
from order_pipeline.landing.keys import FileVersion, date_in_key, is_folder_marker
from order_pipeline.landing.plan import (
    PartitionRequest,
    discovered_backlog,
    group_by_partition,
    listing_changes,
    merge_requests,
    not_in_ledger,
    scan_window,
    split_backlog,
)
from order_pipeline.warehouse.base import WarehouseBusy

log = logging.getLogger(__name__)

# partitions -> partition -> (key, etag) held by the ledger; raises WarehouseBusy when it cannot be read now
LedgerReader = Callable[[list[str]], dict[str, set[tuple[str, str]]]]


@dataclass(frozen=True)
class LandingSource:
    """Where one dataset lands and which landing dates are partitions."""

    bucket: str
    root: str  # landing/<dataset>/
    first_day: date
    acks_prefix: str = ""  # events mode: where a tick keeps the receipt handles the next tick acknowledges

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.root}"

    def in_range(self, partition: str, today: date) -> bool:
        return self.first_day.isoformat() <= partition <= today.isoformat()


@dataclass
class TickResult:
    requests: list[PartitionRequest]
    cursor: LandingCursor
    looked_at: list[str] = field(default_factory=list)  # what the tick examined, for its skip reason and log
    warnings: list[str] = field(default_factory=list)  # files or messages it could not act on, named

    def summary(self) -> str:
        return "; ".join(self.looked_at)


@dataclass
class _CatchUp:
    requests: list[PartitionRequest]
    backlog: tuple[str, ...]
    looked_at: list[str]
    warnings: list[str]


def _out_of_range(source: LandingSource, partitions: Iterable[str], today: date) -> list[str]:
    early = sorted(p for p in partitions if p < source.first_day.isoformat())
    late = sorted(p for p in partitions if p > today.isoformat())
    warnings = []
    if early:
        warnings.append(
            f"{len(early)} landing date(s) in {source.uri} are before the first partition "
            f"{source.first_day} and are not loaded ({early[0]}…{early[-1]}); set "
            "ORDER_PIPELINE_PARTITION_START earlier to load them"
        )
    if late:
        warnings.append(
            f"{len(late)} landing date(s) in {source.uri} are in the future ({', '.join(late[:5])}); "
            "they load when their date arrives"
        )
    return warnings


def catch_up(
    s3: Any, ledger: LedgerReader, source: LandingSource, cursor: LandingCursor, today: date, limit: int
) -> _CatchUp:
    """Discover every landing date on the first tick, then compare `limit` of them a tick with the ledger."""
    looked_at: list[str] = []
    warnings: list[str] = []
    tree: LandingTree | None = None
    backlog = cursor.backlog
    if not cursor.discovered:
        tree = scan_landing_tree(s3, source.bucket, source.root)
        found = tree.partitions()
        backlog = discovered_backlog(found, source.first_day, today)
        warnings.extend(_out_of_range(source, found, today))
        looked_at.append(f"discovered {len(backlog)} landing dates in {source.uri}")
    batch, rest = split_backlog(backlog, limit)
    if not batch:
        return _CatchUp([], rest, looked_at, warnings)
    try:
        held = ledger(batch)
    except WarehouseBusy as busy:  # a run is loading: its dates are compared on a later tick
        looked_at.append(f"catch-up of {len(backlog)} dates deferred: {busy}")
        return _CatchUp([], backlog, looked_at, warnings)
    except Exception as error:  # noqa: BLE001 - the runs read the ledger themselves, and fail loudly if they can't
        warnings.append(
            f"cannot read the ledger ({type(error).__name__}: {error}); requesting the {len(batch)} dates unchecked"
        )
        held = {}
    tree = tree or scan_landing_tree(s3, source.bucket, source.root)
    files = files_of(s3, source.bucket, tree, batch)
    requests = []
    for partition in batch:
        unloaded = not_in_ledger(files.get(partition, ()), held.get(partition, set()))
        if unloaded:
            requests.append(PartitionRequest(partition, tuple(unloaded), "backlog"))
    looked_at.append(
        f"caught up {len(batch)} dates against the ledger ({batch[-1]}…{batch[0]}), "
        f"{len(requests)} with unloaded files, {len(rest)} to go"
    )
    return _CatchUp(requests, rest, looked_at, warnings)


def listing_tick(
    s3: Any,
    ledger: LedgerReader,
    source: LandingSource,
    cursor: LandingCursor,
    today: date,
    *,
    lookback_days: int,
    backlog_dates_per_tick: int,
) -> TickResult:
    window = scan_window(cursor.through, today, lookback_days, source.first_day)
    grouped = list_landing_window(s3, source.bucket, source.root, window)
    changed, digests = listing_changes(cursor.digests, grouped, window)
    caught = catch_up(s3, ledger, source, cursor, today, backlog_dates_per_tick)
    if not cursor.discovered:
        changed = []  # the first tick's backlog holds every date with files: the ledger decides for the window too
    listed = sum(len(v) for v in grouped.values())
    window_text = f"{window[0]}..{window[-1]}" if window else "no dates"
    return TickResult(
        requests=merge_requests([*changed, *caught.requests]),
        cursor=LandingCursor(
            discovered=True,
            backlog=caught.backlog,
            through=window[-1].isoformat() if window else cursor.through,
            digests=digests,
        ),
        looked_at=[f"listed {listed} files in {source.uri} for {window_text}", *caught.looked_at],
        warnings=caught.warnings,
    )


def _landing_version(s3: Any, source: LandingSource, created: ObjectCreated) -> tuple[FileVersion | None, str]:
    """The file version an event announces, or why there is nothing to load."""
    uri = f"s3://{created.bucket}/{created.key}"
    if created.bucket != source.bucket or not created.key.startswith(source.root):
        return None, f"{uri} is outside {source.uri}"
    if is_folder_marker(created.key):
        return None, f"{uri} is a folder marker"
    version = FileVersion(created.bucket, created.key, created.etag, created.size, created.event_time)
    if date_in_key(created.key) is not None:
        return version, ""
    # An undated key belongs to its LastModified date: ask S3 rather than trust the event's clock.
    try:
        head = s3.head_object(Bucket=created.bucket, Key=created.key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None, f"{uri} was deleted after its event"
        raise
    return FileVersion(
        created.bucket, created.key, head["ETag"].strip('"'), int(head["ContentLength"]), head["LastModified"]
    ), ""


JOURNAL_NAME = r"[0-9a-f]{24}\.json"  # what _write_handles names a journal below the sensor's acks prefix


def _write_handles(s3: Any, source: LandingSource, handles: list[str]) -> str:
    """Keep a tick's receipt handles in S3 under a name derived from them (a re-evaluated tick writes the same)."""
    key = f"{source.acks_prefix}{hashlib.sha256(''.join(sorted(handles)).encode()).hexdigest()[:24]}.json"
    put_bytes(s3, source.bucket, key, json.dumps(handles).encode(), "application/json")
    return key


def own_journal(source: LandingSource, key: str) -> bool:
    """Whether `key` can be a journal this sensor wrote: named like one, directly below its own acks prefix. The
    cursor names the journal the next tick reads and deletes, and anyone may edit a cursor in the UI."""
    return bool(source.acks_prefix) and re.fullmatch(re.escape(source.acks_prefix) + JOURNAL_NAME, key) is not None


def _held_by_ledger(
    ledger: LedgerReader, versions: dict[str, list[FileVersion]]
) -> tuple[dict[str, list[FileVersion]], list[FileVersion], str]:
    """The announced versions the ledger holds no row for, those it holds (an identical re-upload: same key,
    same ETag), and why none were checked (the ledger could not be read: every version is requested, and the
    run loads nothing twice)."""
    if not versions:
        return versions, [], ""
    try:
        held = ledger(sorted(versions))
    except Exception as error:  # noqa: BLE001 - WarehouseBusy or a failure: the run reads the ledger itself
        return versions, [], f"{type(error).__name__}: {error}"
    new: dict[str, list[FileVersion]] = {}
    known: list[FileVersion] = []
    for partition, group in versions.items():
        fresh = not_in_ledger(group, held.get(partition, set()))
        known.extend(v for v in group if v not in fresh)
        if fresh:
            new[partition] = fresh
    return new, known, ""


def _read_handles(s3: Any, bucket: str, key: str) -> list[str]:
    """The handles a committed cursor names; none when a tick that failed after acknowledging removed them."""
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return []


def events_tick(
    s3: Any,
    sqs: Any,
    queue_url: str,
    ledger: LedgerReader,
    source: LandingSource,
    cursor: LandingCursor,
    today: date,
    *,
    max_messages: int,
    wait_seconds: int,
    visibility_seconds: int,
    backlog_dates_per_tick: int,
) -> TickResult:
    looked_at: list[str] = []
    warnings: list[str] = []
    if cursor.pending_acks and not own_journal(source, cursor.pending_acks):
        warnings.append(
            f"the cursor names s3://{source.bucket}/{cursor.pending_acks} as its acknowledgement journal, which is "
            f"not a journal of this sensor (those are s3://{source.bucket}/{source.acks_prefix}<name>.json): "
            "ignored, nothing deleted; its messages are delivered again and load nothing twice"
        )
    elif cursor.pending_acks:
        # the cursor naming these handles is committed, and with it the run requests of their messages
        handles = _read_handles(s3, source.bucket, cursor.pending_acks)
        refused = sqs_queue.delete(sqs, queue_url, handles) if handles else []
        s3.delete_object(Bucket=source.bucket, Key=cursor.pending_acks)
        looked_at.append(f"acknowledged {len(handles) - len(refused)} messages of the previous tick")
        if refused:
            warnings.append(
                f"{len(refused)} acknowledgements refused ({refused[0]}): those messages are delivered "
                "again and load nothing twice"
            )
    messages = sqs_queue.receive(
        sqs, queue_url, max_messages=max_messages, wait_seconds=wait_seconds, visibility_seconds=visibility_seconds
    )
    acks: list[str] = []
    versions: list[FileVersion] = []
    ignored: list[str] = []
    for message in messages:
        parsed = parse_message(message.get("Body", ""))
        if parsed.malformed:
            warnings.append(
                f"message {message.get('MessageId')} not acknowledged (it moves to the dead-letter "
                f"queue after repeated deliveries): {parsed.malformed}"
            )
            continue
        acks.append(message["ReceiptHandle"])
        ignored.extend(parsed.ignored)
        for created in parsed.created:
            version, why = _landing_version(s3, source, created)
            if version is None:
                ignored.append(why)
            else:
                versions.append(version)
    grouped = group_by_partition(versions)
    in_range = {p: v for p, v in grouped.items() if source.in_range(p, today)}
    warnings.extend(_out_of_range(source, set(grouped) - set(in_range), today))
    new, known, unchecked = _held_by_ledger(ledger, in_range)
    caught = catch_up(s3, ledger, source, cursor, today, backlog_dates_per_tick)
    requests = [PartitionRequest(partition, tuple(group), "event") for partition, group in new.items()]
    looked_at.insert(
        0,
        f"received {len(messages)} messages from {queue_url}: {len(versions)} landed files, "
        f"{len(ignored)} events ignored" + (f" (e.g. {ignored[0]})" if ignored else ""),
    )
    if known:
        names = ", ".join(v.version_id for v in known[:5]) + (f", … (+{len(known) - 5} more)" if len(known) > 5 else "")
        looked_at.insert(1, f"skipped {len(known)} file versions the ledger already holds ({names})")
    if unchecked:
        looked_at.insert(1, f"announced files requested without checking the ledger ({unchecked})")
    pending = _write_handles(s3, source, acks) if acks else None
    return TickResult(
        requests=merge_requests([*requests, *caught.requests]),
        cursor=LandingCursor(discovered=True, backlog=caught.backlog, pending_acks=pending),
        looked_at=[*looked_at, *caught.looked_at],
        warnings=[*warnings, *caught.warnings],
    )
