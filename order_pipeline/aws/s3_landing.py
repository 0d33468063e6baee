"""Finding landing files in S3: a folder walk whose cost follows the number of dates, not of objects.

Dated folders (`YYYY/MM/DD/`, `dt=YYYY-MM-DD/`) are found with delimiter listings (one call per year and per
month) and listed only when their date is wanted. Everything outside a valid dated folder — top-level files,
other folders, month-only or impossible dates — is listed in full and dated by LastModified: nothing that lands
is invisible, and a layout that follows the convention costs only its dates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from order_pipeline.aws.s3_objects import list_prefix, version_of
from order_pipeline.landing.keys import (
    FileVersion,
    day_folder,
    folder_date,
    is_folder_marker,
    month_folder,
    partition_of,
    year_folder,
)


@dataclass
class LandingTree:
    dated_folders: dict[str, list[str]] = field(default_factory=dict)  # partition -> its folder prefixes
    undated: list[FileVersion] = field(default_factory=list)  # files outside any valid dated folder

    def partitions(self) -> set[str]:
        """Every landing date that holds something: dated folders and the LastModified dates of the rest."""
        return set(self.dated_folders) | {partition_of(v.key, v.last_modified) for v in self.undated}


def _level(client: Any, bucket: str, prefix: str) -> tuple[list[str], list[FileVersion]]:
    """One delimiter listing: the sub-folders and the files directly under `prefix`."""
    folders: list[str] = []
    files: list[FileVersion] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        folders.extend(p["Prefix"] for p in page.get("CommonPrefixes", ()))
        files.extend(version_of(bucket, item) for item in page.get("Contents", ()) if not is_folder_marker(item["Key"]))
    return folders, files


def scan_landing_tree(
    client: Any, bucket: str, root: str, months: Collection[tuple[int, int]] | None = None
) -> LandingTree:
    """Walk the landing root. With `months`, only those (year, month) folders are opened (a listing tick's
    window); without, the whole tree (discovery, the reconcile and the runs themselves)."""
    tree = LandingTree()
    years = None if months is None else {year for year, _ in months}

    def dated(day: date, folder: str) -> None:
        tree.dated_folders.setdefault(day.isoformat(), []).append(folder)

    def undated_subtree(folder: str) -> None:
        tree.undated.extend(list_prefix(client, bucket, folder))

    folders, files = _level(client, bucket, root)
    tree.undated.extend(files)
    for folder in folders:
        name = folder[len(root) :].rstrip("/")
        if (day := folder_date(name)) is not None:
            dated(day, folder)
        elif (year := year_folder(name)) is not None:
            if years is None or year in years:
                _walk_year(client, bucket, folder, year, months, tree, dated, undated_subtree)
        else:
            undated_subtree(folder)
    return tree


def _walk_year(
    client: Any,
    bucket: str,
    folder: str,
    year: int,
    months: Collection[tuple[int, int]] | None,
    tree: LandingTree,
    dated,
    undated_subtree,
) -> None:
    month_folders, files = _level(client, bucket, folder)
    tree.undated.extend(files)
    for month_prefix in month_folders:
        month = month_folder(month_prefix[len(folder) :].rstrip("/"))
        if month is None:
            undated_subtree(month_prefix)
            continue
        if months is not None and (year, month) not in months:
            continue
        day_folders, files = _level(client, bucket, month_prefix)
        tree.undated.extend(files)
        for day_prefix in day_folders:
            day = day_folder(year, month, day_prefix[len(month_prefix) :].rstrip("/"))
            if day is None:
                undated_subtree(day_prefix)
            else:
                dated(day, day_prefix)


def files_of(client: Any, bucket: str, tree: LandingTree, partitions: Iterable[str]) -> dict[str, list[FileVersion]]:
    """The files of each wanted partition: its dated folders listed, plus the undated files of that date."""
    wanted = set(partitions)
    found: dict[str, dict[str, FileVersion]] = {p: {} for p in wanted}
    for partition in wanted:
        for folder in tree.dated_folders.get(partition, ()):
            for version in list_prefix(client, bucket, folder):
                found[partition][version.key] = version
    for version in tree.undated:
        partition = partition_of(version.key, version.last_modified)
        if partition in wanted:
            found[partition].setdefault(version.key, version)
    return {p: sorted(v.values(), key=lambda f: (f.last_modified, f.key)) for p, v in sorted(found.items()) if v}


def list_landing_window(client: Any, bucket: str, root: str, days: Collection[date]) -> dict[str, list[FileVersion]]:
    """A listing tick: the files of the window's dates, opening only the window's year and month folders."""
    tree = scan_landing_tree(client, bucket, root, months={(d.year, d.month) for d in days})
    return files_of(client, bucket, tree, (d.isoformat() for d in days))


def list_landing_day(client: Any, bucket: str, root: str, day: date) -> list[FileVersion]:
    """Every landing file of one partition date, wherever in the tree it lies (what a run processes)."""
    tree = scan_landing_tree(client, bucket, root)
    return files_of(client, bucket, tree, [day.isoformat()]).get(day.isoformat(), [])
