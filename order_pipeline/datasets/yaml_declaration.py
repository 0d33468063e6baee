"""A dataset declared in YAML: the same declaration as `declaration.Dataset`, as a schema that names the field at
fault when a declaration is wrong (a kind that does not exist, a merge key that is not a column, an unknown option).

`DatasetSpec.to_dataset()` builds the `Dataset` a Python declaration would; the Dagster component
(components/dataset_component.py) and the registry (datasets/registry.py) both use it. What needs code (record
rules, derived tables) is referenced as `module:NAME` of an importable Python object. Pure domain code: pydantic
and the declarations, no Dagster, no boto3.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from order_pipeline.datasets.csv_options import FALSE_VALUES, TRUE_VALUES, CsvOptions
from order_pipeline.datasets.declaration import ChildTable, Column, Dataset, DerivedTable, RecordRule
from order_pipeline.datasets.kinds import KINDS, ColumnKind


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Spec):
    """One column: its name in the tables, its kind, and what a valid value is."""

    name: str = Field(description="Column name in the warehouse table and the lake Parquet.")
    # text checked against the kinds table (rather than a Literal) so that a typo is reported naming the column
    kind: str = Field(description=f"The column kind: {', '.join(KINDS)}.")
    source: str | None = Field(None, description="Dotted path of the value in an input record; default: name.")
    nullable: bool = True
    max_bytes: int | None = Field(None, description="Strings: the VARCHAR size in bytes (default 256).")
    allow_blank: bool | None = None
    precision: int = 12
    scale: int = 2
    # text or numbers in YAML, read as exact decimals ("0.01" and 0.01 alike)
    min_value: int | float | str | None = Field(None, description="Numbers: inclusive lower bound.")
    max_value: int | float | str | None = Field(None, description="Numbers: inclusive upper bound.")
    allowed: list[str] | None = Field(None, description="Strings: the values allowed.")
    pattern: str | None = Field(None, description="Strings: a regular expression the whole value must match.")
    naive_timezone: str | None = Field(None, description="Timestamps: the zone a value without one is read in.")
    sensitive: bool = Field(False, description="Personal or secret data: flagged in the column schema metadata.")
    description: str = ""

    @model_validator(mode="after")
    def _check_kind(self) -> ColumnSpec:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not a kind (kinds: {', '.join(KINDS)})")
        return self

    def to_column(self) -> Column:
        bound = _int_if_integral if self.kind in ("int16", "int32", "int64") else _same
        return Column(
            self.name,
            cast(ColumnKind, self.kind),
            source=self.source,
            nullable=self.nullable,
            max_bytes=self.max_bytes,
            allow_blank=self.allow_blank,
            precision=self.precision,
            scale=self.scale,
            min_value=bound(self.min_value),
            max_value=bound(self.max_value),
            allowed=tuple(self.allowed) if self.allowed is not None else None,
            pattern=self.pattern,
            naive_timezone=self.naive_timezone,
            sensitive=self.sensitive,
            description=self.description,
        )


def _decimal(value: int | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{value!r} is not a number") from None


def _same(value: int | float | str | None) -> Decimal | None:
    return _decimal(value)


def _int_if_integral(value: int | float | str | None) -> int | Decimal | None:
    number = _decimal(value)
    return int(number) if number is not None and number == number.to_integral_value() else number


class ChildTableSpec(_Spec):
    """A table exploded from a list field of the parent record (e.g. an order's line items)."""

    name: str
    source: str = Field(description="Dotted path of the list in the parent record.")
    columns: list[ColumnSpec]
    position_column: str = "line_number"
    min_items: int = 0
    max_items: int | None = None
    description: str = ""

    def to_child(self) -> ChildTable:
        return ChildTable(
            self.name,
            self.source,
            tuple(c.to_column() for c in self.columns),
            position_column=self.position_column,
            min_items=self.min_items,
            max_items=self.max_items,
            description=self.description,
        )


class OptionsSpec(_Spec):
    """How strictly records are read, and what a bad partition's quarantine check says."""

    new_columns: Literal["report", "add"] = "report"
    extra_fields: Literal["drop", "reject"] = "drop"
    max_bad_records: int = 100
    max_bad_ratio: float = 0.5
    quarantine_check: Literal["warn", "error"] = "warn"

    @model_validator(mode="after")
    def _check(self) -> OptionsSpec:
        if self.max_bad_records < 0:
            raise ValueError("options.max_bad_records: at least 0")
        if not 0 <= self.max_bad_ratio <= 1:
            raise ValueError("options.max_bad_ratio: between 0 and 1")
        return self


class CsvSpec(_Spec):
    """How CSV and TSV files of the dataset are read (JSON and Parquet need nothing)."""

    delimiter: str | None = Field(None, description="One character; unset: tab for .tsv, else detected.")
    quote: str = '"'
    null_marker: str | None = Field(None, description="The text of a missing value; unset: an empty field.")
    true_values: list[str] = Field(default_factory=lambda: list(TRUE_VALUES))
    false_values: list[str] = Field(default_factory=lambda: list(FALSE_VALUES))

    def to_options(self) -> CsvOptions:
        return CsvOptions(
            self.delimiter, self.quote, self.null_marker, tuple(self.true_values), tuple(self.false_values)
        )


def import_reference(reference: str, field: str) -> Any:
    """The Python object `module:NAME` names (record rules and derived tables are code)."""
    module, _, name = reference.partition(":")
    if not module or not name:
        raise ValueError(f"{field}: {reference!r} is not a `package.module:NAME` reference")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{field}: cannot import {reference!r} ({exc})") from exc


class DatasetSpec(_Spec):
    """A landing dataset: its columns, how its records are keyed and versioned, its options."""

    name: str = Field(description="Table name of the parent, and the dataset's name in S3 prefixes and asset keys.")
    description: str = ""
    owners: list[str] = Field(default_factory=list)
    group: str | None = Field(None, description="Asset group in the UI; default: the dataset's name.")
    sensor_name: str | None = Field(None, description="Default: s3_<name>_files_sensor.")
    columns: list[ColumnSpec]
    merge_key: list[str] = Field(description="The columns that identify a record (upserted on).")
    event_time: str = Field(description="The column the warehouse sorts on (Redshift SORTKEY).")
    version_column: str | None = Field(None, description="The latest version wins by it; unset: by landing order.")
    children: list[ChildTableSpec] = Field(default_factory=list)
    options: OptionsSpec = Field(default_factory=OptionsSpec)
    csv: CsvSpec = Field(default_factory=CsvSpec)  # type: ignore[arg-type]  # mypy has no pydantic plugin here
    rules: list[str] = Field(default_factory=list, description="Record rules, as `package.module:NAME` references.")
    derived: list[str] = Field(default_factory=list, description="Derived tables, as `package.module:NAME` references.")

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        names = [c.name for c in self.columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"columns: {', '.join(twice)} declared more than once")
        known = ", ".join(names)
        roles = [("merge_key", key) for key in self.merge_key] + [("event_time", self.event_time)]
        if self.version_column is not None:
            roles.append(("version_column", self.version_column))
        for field, key in roles:
            if key not in names:
                raise ValueError(f"{field}: {key!r} is not a declared column (columns: {known})")
        if not self.merge_key:
            raise ValueError("merge_key: at least one column")
        self.to_dataset()  # whatever else the declaration refuses, refused here, with its message
        return self

    def to_dataset(self) -> Dataset:
        rules = tuple(import_reference(r, "rules") for r in self.rules)
        derived = tuple(import_reference(d, "derived") for d in self.derived)
        for rule in rules:
            if not isinstance(rule, RecordRule):
                raise ValueError(f"rules: {rule!r} is not a RecordRule")
        for table in derived:
            if not isinstance(table, DerivedTable):
                raise ValueError(f"derived: {table!r} is not a DerivedTable")
        options = self.options
        return Dataset(
            name=self.name,
            description=self.description,
            owners=tuple(self.owners),
            group_name=self.group,
            sensor_name=self.sensor_name,
            columns=tuple(c.to_column() for c in self.columns),
            merge_key=tuple(self.merge_key),
            event_time_column=self.event_time,
            version_column=self.version_column,
            children=tuple(c.to_child() for c in self.children),
            rules=rules,
            derived=derived,
            extra_fields=options.extra_fields,
            new_columns=options.new_columns,
            max_bad_records=options.max_bad_records,
            max_bad_ratio=options.max_bad_ratio,
            quarantine_check=options.quarantine_check,
            csv=self.csv.to_options(),
        )
