"""Errors of the conversion engine."""

from __future__ import annotations


class ConversionError(Exception):
    """A whole input file cannot be converted (its message names the file and the cause)."""


class UnsupportedFile(ConversionError):
    """The input is not in a supported format (JSON Lines, JSON array/object, Parquet; optionally gzip)."""


class SchemaMismatch(ConversionError):
    """The file's schema cannot fit the declaration: quarantined whole, before any row is read."""

    def __init__(self, message: str, rows: int) -> None:
        super().__init__(message)
        self.rows = rows  # the rows the file holds (none was read)
