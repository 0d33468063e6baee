"""Dataset declarations: what a landing dataset looks like, declared once.

A declaration drives everything downstream: the canonical Parquet schema (column order and types),
validation, the warehouse DDL, the merge key and the child tables. A second dataset is a second
declaration, never a copy of code. Pure domain code: no Dagster, no boto3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from order_pipeline.datasets.csv_options import CsvOptions
from order_pipeline.datasets.kinds import MAX_DECIMAL_PRECISION, ColumnKind, kind_named
from order_pipeline.datasets.reserved_names import column_name_problem, table_name_problem

if TYPE_CHECKING:  # pyarrow is imported where a schema is built: not by a code location loading the declarations
    import pyarrow as pa

# Columns every canonical table carries after its declared columns: where each row came from.
# They make "latest version wins, then file order" decidable inside the warehouse.
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_RECORD_COLUMN = "_source_record"
# A dataset without a version column also carries when its file landed (S3 LastModified): that is its version,
# so the later file version wins by landing order even when partitions are loaded out of order.
LANDED_AT_COLUMN = "_source_landed_at"
# What a string column without max_bytes holds: Redshift's VARCHAR default size in this project (sql_ddl).
DEFAULT_MAX_BYTES = 256


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    `source` is the dotted path of the value in an input record (defaults to `name`). For a child table,
    the path is relative to the list element, except for columns listed in `ChildTable.parent_columns`.
    """

    name: str
    kind: ColumnKind
    source: str | None = None
    nullable: bool = True
    # strings: the VARCHAR size in bytes (Redshift counts UTF-8 bytes, not characters); unset: the warehouse
    # default, DEFAULT_MAX_BYTES. A longer value rejects its record.
    max_bytes: int | None = None
    # strings: whether an empty or whitespace-only value is accepted; unset: only where the column is nullable
    # (a required string must say something)
    allow_blank: bool | None = None
    precision: int = 12  # decimals
    scale: int = 2
    min_value: Decimal | int | None = None  # inclusive lower bound for numbers
    max_value: Decimal | int | None = None  # inclusive upper bound for numbers
    allowed: tuple[str, ...] | None = None  # allowed values for strings
    pattern: str | None = None  # regular expression a string must match in full
    # timestamps: the zone a value without one (a naive Parquet timestamp, ISO text without an offset) is read
    # in, e.g. "UTC" or "Europe/Paris"; unset: such a value rejects its record (nothing is guessed)
    naive_timezone: str | None = None
    # personal or secret data: tagged `sensitive` in the column schema the UI shows (dagster/column_schema)
    sensitive: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        kind_named(self.kind)
        if self.kind == "decimal" and not (
            1 <= self.precision <= MAX_DECIMAL_PRECISION and 0 <= self.scale <= self.precision
        ):
            raise ValueError(
                f"column {self.name!r}: decimal({self.precision},{self.scale}) needs 1 <= precision "
                f"<= {MAX_DECIMAL_PRECISION} and 0 <= scale <= precision"
            )

    @property
    def source_path(self) -> str:
        return self.source or self.name

    @property
    def byte_limit(self) -> int:
        """The longest string value the warehouse column holds, in UTF-8 bytes."""
        return self.max_bytes if self.max_bytes is not None else DEFAULT_MAX_BYTES

    @property
    def blank_allowed(self) -> bool:
        return self.allow_blank if self.allow_blank is not None else self.nullable

    def arrow_type(self) -> pa.DataType:
        return arrow_type_for(self)


def arrow_type_for(column: Column) -> pa.DataType:
    return kind_named(column.kind).canonical_type(column.precision, column.scale)


LINEAGE_COLUMNS: tuple[Column, ...] = (
    Column(
        SOURCE_FILE_COLUMN,
        "string",
        nullable=False,
        max_bytes=1024,
        description="s3://bucket/key of the landing file this row came from",
    ),
    Column(
        SOURCE_RECORD_COLUMN, "int64", nullable=False, description="1-based position of the record in its landing file"
    ),
)
LANDED_AT = Column(
    LANDED_AT_COLUMN,
    "timestamp",
    nullable=False,
    description="when the landing file this row came from landed (S3 LastModified)",
)


@dataclass(frozen=True)
class ChildTable:
    """A table exploded from a list field of the parent record (e.g. an order's line items).

    Its rows are keyed by the parent's merge key plus `position_column` (1-based position in the list).
    On upsert, a parent's children are replaced as a whole.
    """

    name: str
    source: str  # dotted path of the list in the parent record, e.g. "items"
    columns: tuple[Column, ...]  # element columns (paths relative to one list element)
    position_column: str = "line_number"
    min_items: int = 0
    max_items: int | None = None
    description: str = ""


# A cross-field rule, evaluated vectorised on a normalised batch. It gets the parent table and the child
# tables (each child table has an extra int64 column `_parent_row`: the index of its parent row in the
# batch) and returns one boolean per parent row: True where the record passes.
RuleCheck = Callable[["pa.Table", Mapping[str, "pa.Table"]], "pa.Array"]


@dataclass(frozen=True)
class RecordRule:
    name: str
    reason: str  # what a reject report says, e.g. "total != subtotal + shipping + tax"
    check: RuleCheck
    field: str | None = None  # the field a reject report names


@dataclass(frozen=True)
class DerivedCheck:
    """A consistency rule of a derived table: `sql` returns one row of two numbers that must be equal
    (e.g. Σ order_count in the summary, orders in the source table). `{derived_scope}` (a predicate on the
    derived table's rows) and `{parent_scope}` (on the parent's) restrict it to the groups a refresh wrote;
    the full-table version of the check has both `1 = 1`."""

    name: str
    description: str
    sql: str
    labels: tuple[str, str] = ("derived", "source")  # what the two numbers are, in the check's metadata


# The placeholder a derived table's `select_sql` reads its parent rows from, and its check's scopes.
PARENTS_PLACEHOLDER = "{parents}"
# Optional: a predicate on the parent's first merge-key column, unqualified, for where `select_sql` reads child
# rows: a refresh replaces it with the constant key range of the parents in scope (so zone maps skip the rest of
# the child table), a full rebuild with `1 = 1`.
CHILD_KEY_PLACEHOLDER = "{child_key_range}"


@dataclass(frozen=True)
class DerivedGroups:
    """How a derived table's rows follow from the parent's: one row per group, and the group of a parent row is
    `grain` of its `column` (`utc_date`: the UTC date of a timestamp). A load refreshes only the groups its
    batch touched; this is what lets it name them (and lets the warehouse find their parent rows by a range
    of `column`, which its sort key / zone maps serve)."""

    key: str  # the derived table's column holding the group, e.g. order_date
    column: str  # the parent column the group follows from, e.g. order_ts
    grain: Literal["utc_date"] = "utc_date"


@dataclass(frozen=True)
class DerivedTable:
    """A table the warehouse keeps from a dataset's tables (e.g. a daily summary).

    `select_sql` computes its rows from the parent rows in `{parents}` (a relation: the whole parent table for
    a full rebuild, only the rows of the affected groups for a refresh); child tables are read through the
    parents in scope. With `groups` declared a load refreshes only the groups it touched; without, the table is
    rebuilt whole after each load (still in place: delete and insert, grants and views survive).
    """

    name: str
    select_sql: str
    columns: tuple[Column, ...]
    description: str = ""
    check: DerivedCheck | None = None
    groups: DerivedGroups | None = None

    def __post_init__(self) -> None:
        if PARENTS_PLACEHOLDER not in self.select_sql:
            raise ValueError(f"derived table {self.name!r}: select_sql reads its parent rows from {{parents}}")
        if self.groups is not None and self.groups.key not in {c.name for c in self.columns}:
            raise ValueError(f"derived table {self.name!r}: group key {self.groups.key!r} is not one of its columns")

    @property
    def pending_table(self) -> str:
        """Where loads record the groups they touched until the derived step refreshes them."""
        return f"{self.name}_pending"


@dataclass(frozen=True)
class Dataset:
    name: str  # table name of the parent, and the dataset's name in S3 prefixes and asset keys
    columns: tuple[Column, ...]
    merge_key: tuple[str, ...]
    event_time_column: str  # what the warehouse sorts on (Redshift SORTKEY)
    # The latest version of a record wins by this column (then by file order). Unset: the later file version
    # wins by landing order (the file's S3 LastModified, kept in LANDED_AT_COLUMN).
    version_column: str | None = None
    children: tuple[ChildTable, ...] = ()
    rules: tuple[RecordRule, ...] = ()
    extra_fields: Literal["drop", "reject"] = "drop"  # unknown input fields: dropped, or the record rejected
    # Columns in the data but not declared are always reported (materialization metadata, a `schema_drift`
    # notification once per column); "add" also adds each to the table (nullable, after the lineage columns).
    new_columns: Literal["report", "add"] = "report"
    max_bad_records: int = 100  # like Redshift's MAXERROR: more bad records than this rejects the file
    max_bad_ratio: float = 0.5  # ...and so does a larger share of bad records than this
    # A partition whose files were all quarantined, or whose rejects exceed the limits above, fails its
    # quarantine check with this severity.
    quarantine_check: Literal["warn", "error"] = "warn"
    description: str = ""
    owners: tuple[str, ...] = ()
    group_name: str | None = None
    sensor_name: str | None = None  # default s3_<name>_files_sensor; operators and alerts refer to it
    derived: tuple[DerivedTable, ...] = ()  # refreshed after each load of this dataset
    csv: CsvOptions = CsvOptions()  # how its CSV/TSV files are read (JSON and Parquet need no options)
    # Not declared: the columns schema evolution added so far (see datasets/evolution.py), set at run time from
    # the dataset's schema state. They come after the lineage columns, in the order they were first seen, as
    # ALTER TABLE ADD COLUMN places them: canonical Parquet, staging and target table agree by position.
    evolved: tuple[Column, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in (*self.columns, *self.lineage_columns, *self.evolved)]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset {self.name!r} declares a column twice")
        for table in (self.name, *(c.name for c in self.children), *(d.name for d in self.derived)):
            problem = table_name_problem(table)
            if problem:
                raise ValueError(f"dataset {self.name!r}: table {problem}")
        for column in (*self.columns, *(col for child in self.children for col in child.columns)):
            problem = column_name_problem(column.name)
            if problem:
                raise ValueError(f"dataset {self.name!r}: column {problem}")
        declared = {c.name: c.kind for c in self.columns}
        version = (("version column", self.version_column),) if self.version_column is not None else ()
        for role, key in (
            *(("merge key", k) for k in self.merge_key),
            *version,
            ("event time column", self.event_time_column),
        ):
            if key not in declared:
                raise ValueError(f"dataset {self.name!r}: {key!r} is not a declared column")
            if declared[key] == "json":
                # The merge key is the Redshift DISTKEY and the event time its SORTKEY; SUPER can be neither,
                # and JSON values have no order to pick the latest version by.
                raise ValueError(f"dataset {self.name!r}: {role} {key!r} is a json column; choose a scalar one")

    @property
    def ordering_column(self) -> str:
        """What decides which version of a record is the latest: the version column, else the landing time."""
        return self.version_column or LANDED_AT_COLUMN

    @property
    def lineage_columns(self) -> tuple[Column, ...]:
        if self.version_column is not None:
            return LINEAGE_COLUMNS
        return (*LINEAGE_COLUMNS, LANDED_AT)

    @property
    def value_columns(self) -> tuple[Column, ...]:
        """The parent columns whose values come from the input records: declared, then evolved."""
        return (*self.columns, *self.evolved)

    def with_evolved(self, columns: tuple[Column, ...]) -> Dataset:
        """This dataset with the columns schema evolution added (see `evolved`)."""
        return dataclasses.replace(self, evolved=tuple(columns))

    @property
    def group(self) -> str:
        """The asset group of the dataset's tables in the UI (a domain): declared, else the dataset's name."""
        return self.group_name or self.name

    @property
    def landing_sensor_name(self) -> str:
        return self.sensor_name or f"s3_{self.name}_files_sensor"

    @property
    def reconcile_sensor_name(self) -> str:
        return self.landing_sensor_name.removesuffix("_sensor") + "_reconcile"

    @property
    def table_names(self) -> tuple[str, ...]:
        return (self.name, *(c.name for c in self.children))

    def table_columns(self, table: str | None = None) -> tuple[Column, ...]:
        """The canonical column order of `table` (default: the parent): what Parquet and warehouse share."""
        if table is None or table == self.name:
            return (*self.columns, *self.lineage_columns, *self.evolved)
        child = self.child(table)
        key_columns = tuple(c for c in self.columns if c.name in self.merge_key)
        position = Column(
            child.position_column,
            "int32",
            nullable=False,
            description=f"1-based position in the {self.name} record's {child.source} list",
        )
        return (*key_columns, position, *child.columns, *LINEAGE_COLUMNS)

    def table_key(self, table: str | None = None) -> tuple[str, ...]:
        if table is None or table == self.name:
            return self.merge_key
        return (*self.merge_key, self.child(table).position_column)

    def arrow_schema(self, table: str | None = None) -> pa.Schema:
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow_type(), nullable=c.nullable) for c in self.table_columns(table)])

    def child(self, name: str) -> ChildTable:
        for child in self.children:
            if child.name == name:
                return child
        raise KeyError(f"dataset {self.name!r} has no child table {name!r}")
