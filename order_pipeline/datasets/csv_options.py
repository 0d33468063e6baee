"""How a dataset's CSV/TSV files are read: delimiter, quote character, null marker, boolean spellings.

Pure domain code: no Dagster, no boto3. Every field has a default that reads the common exports (DuckDB and
PostgreSQL `COPY ... CSV`, Python's `csv` module, spreadsheet "Save as CSV") without declaring anything.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the delimiter of a `.csv` file is detected among, from its header line (outside quotes).
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
TRUE_VALUES = ("true", "t", "yes", "y", "1")
FALSE_VALUES = ("false", "f", "no", "n", "0")


@dataclass(frozen=True)
class CsvOptions:
    # None: a tab for `.tsv` files; for `.csv` files the one candidate of DELIMITER_CANDIDATES the header line
    # holds (outside quotes), a comma when it holds none or several.
    delimiter: str | None = None
    quote: str = '"'
    # The text that stands for a missing value. Unset: an empty field is null. Set: that text is null, and an
    # empty field is an empty string in a string column (null in any other kind).
    null_marker: str | None = None
    # How boolean columns are spelled (compared case-insensitively, after trimming blanks).
    true_values: tuple[str, ...] = TRUE_VALUES
    false_values: tuple[str, ...] = FALSE_VALUES

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"csv delimiter must be one character, got {self.delimiter!r}")
        if len(self.quote) != 1:
            raise ValueError(f"csv quote must be one character, got {self.quote!r}")
        if self.delimiter is not None and self.delimiter == self.quote:
            raise ValueError("csv delimiter and quote must differ")
        if self.delimiter in ("\n", "\r") or self.quote in ("\n", "\r"):
            raise ValueError("csv delimiter and quote cannot be line ends")
        both = {v.lower() for v in self.true_values} & {v.lower() for v in self.false_values}
        if both:
            raise ValueError(f"csv true_values and false_values share {sorted(both)}")
