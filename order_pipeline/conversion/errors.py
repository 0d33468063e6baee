"""Errors of the conversion engine."""

from __future__ import annotations


class ConversionError(Exception):
    """A whole input file cannot be converted (its message names the file and the cause)."""


class UnsupportedFile(ConversionError):
    """The input is not in a supported format (JSON Lines, JSON array/object, Parquet; optionally gzip)."""
