"""A dataset declared in YAML as a Dagster component: `dg scaffold defs DatasetComponent defs/<feed>` writes a
commented template, `dg check defs` validates it (naming the field at fault), and the component builds exactly
what a Python declaration builds (components/pipeline.py `dataset_definitions`): assets, job, sensors, checks."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster.components.scaffold.scaffold import ScaffoldRequest, scaffold_with

from order_pipeline.components.pipeline import dataset_definitions
from order_pipeline.config import load_settings
from order_pipeline.datasets.yaml_declaration import DatasetSpec

TEMPLATE = """\
# A dataset (a feed) declared in YAML: this file is the whole declaration, no Python needed.
# Files land at s3://<bucket>/<landing prefix>/{name}/YYYY/MM/DD/<file> as JSON Lines, JSON, Parquet,
# CSV (.csv) or TSV (.tsv), each optionally gzipped (.gz). `dg check defs` validates this file.
type: {type}

attributes:
  name: {name}                      # table name, and the dataset's name in S3 prefixes and asset keys
  description: "What one record of this feed is"
  owners: ["team:data-engineering"]
  # group: {name}                   # asset group in the UI (default: the name)
  # sensor_name: s3_{name}_files_sensor

  merge_key: [id]                   # the columns that identify a record: a later version replaces it
  event_time: created_at            # what the warehouse sorts on
  # version_column: updated_at      # the latest version wins by it (unset: the file that landed last)

  columns:                          # kinds: string json boolean int16 int32 int64 float32 float64
    - name: id                      #        decimal date time timestamp
      kind: string
      nullable: false
      max_bytes: 64                 # strings: VARCHAR size in bytes (default 256)
      pattern: "[A-Za-z0-9_-]+"     # strings: a regular expression the whole value must match
    - name: amount
      kind: decimal
      precision: 12
      scale: 2                      # a value with more decimal places is rejected, never rounded
      min_value: 0                  # numbers: inclusive bounds (min_value, max_value)
    - name: status
      kind: string
      allowed: [new, done]          # strings: the values allowed
    - name: email
      kind: string
      source: customer.email        # dotted path of the value in a JSON record (default: the name)
      sensitive: true               # personal data: tagged in the column schema
    - name: created_at
      kind: timestamp
      nullable: false
      # naive_timezone: UTC         # the zone of values without one (unset: such a value is rejected)

  # children:                       # tables exploded from a list field of the record
  #   - name: {name}_lines
  #     source: lines
  #     position_column: line_number
  #     min_items: 0
  #     columns:
  #       - {{name: sku, kind: string, nullable: false}}

  options:
    new_columns: report             # report | add: undeclared columns in the data are reported, or added
    extra_fields: drop              # drop | reject: unknown fields are dropped, or reject their record
    max_bad_records: 100            # more bad records than this quarantines the file
    max_bad_ratio: 0.5              # ...and so does a larger share of bad records
    quarantine_check: warn          # warn | error: severity of the partition's quarantine check

  csv:                              # CSV and TSV files only
    # delimiter: ","                # unset: tab for .tsv; for .csv detected from the header line
    quote: '"'
    # null_marker: "\\\\N"            # unset: an empty field is null
    # true_values: [true, t, yes, y, 1]
    # false_values: [false, f, no, n, 0]

  # Code stays in Python, referenced as package.module:NAME:
  # rules: [my_package.rules:TOTAL_ADDS_UP]           # RecordRule objects
  # derived: [my_package.summaries:DAILY_SUMMARY]     # DerivedTable objects
"""


class DatasetScaffolder(dg.Scaffolder):
    """Writes `defs.yaml`: a small, valid declaration whose comments list every field and option."""

    def scaffold(self, request: ScaffoldRequest) -> None:
        name = Path(request.target_path).name.replace("-", "_")
        text = TEMPLATE.format(type=request.type_name, name=name)
        Path(request.target_path).mkdir(parents=True, exist_ok=True)
        (Path(request.target_path) / "defs.yaml").write_text(text, encoding="utf-8")


@scaffold_with(DatasetScaffolder)
class DatasetComponent(DatasetSpec, dg.Component, dg.Resolvable):
    """A landing dataset (a feed): its columns with kinds and rules, merge key, event time, version column,
    child tables, options and CSV format. Loads like a Python declaration: raw -> lake -> warehouse assets,
    a partition job, a landing sensor, a reconcile sensor and the quarantine and warehouse checks."""

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dataset_definitions(self.to_dataset(), load_settings())
