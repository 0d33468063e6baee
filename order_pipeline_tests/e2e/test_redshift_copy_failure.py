"""A COPY Redshift refuses, through the real sensor and runs on the Redshift backend: the file's notification names
the file and the cause, as Redshift reports it (Spectrum Scan Error, context in the error's detail field).

The canonical Parquet of one file is replaced, after conversion and before the load, by one whose `currency`
holds '€UR': 3 characters, 5 bytes, for a VARCHAR(3). (Conversion rejects such records per record; here the
value slips past it, to show what the warehouse does when one does.)
"""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.aws.s3_objects import parse_s3_uri
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake.convert_partition import convert_partition
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.redshift_fixtures import redshift_pipeline_env
from order_pipeline_tests.support.scenarios import counts, land_day

TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def pipeline(aws_endpoint, bucket, tmp_path, redshift_endpoint):
    env = redshift_pipeline_env(redshift_endpoint, bucket.replace("-", "_"))
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as running:
        yield running


def poison_part(pipeline, uri: str) -> None:
    """Rewrite a canonical orders Parquet with '€UR' as the currency of its second row."""
    bucket, key = parse_s3_uri(uri)
    table = pq.read_table(io.BytesIO(pipeline.s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    currency = table["currency"].to_pylist()
    currency[1] = "€UR"
    index = table.schema.get_field_index("currency")
    table = table.set_column(index, table.schema.field(index), pa.array(currency, pa.string()))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    pipeline.s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())


def test_a_refused_copy_is_reported_with_the_file_and_the_cause(pipeline):
    good_key = land_day(pipeline, TODAY, "GOOD", (6,))[0]
    bad_key = land_day(pipeline, TODAY, "BYTES", (4,))[0]
    files = list_landing_day(
        pipeline.s3,
        pipeline.settings.bucket,
        pipeline.settings.landing_root("orders"),
        date.fromisoformat(TODAY.isoformat()),
    )
    converted = {
        c.source.key: c
        for c, _ in convert_partition(pipeline.s3, pipeline.settings.layout, ORDERS, TODAY.isoformat(), files)
    }
    bad_part = converted[bad_key].parts["orders"]
    poison_part(pipeline, bad_part)

    outcome = pipeline.tick()
    assert len(outcome.runs) == 1 and outcome.runs[0].success  # the last attempt isolated the refused file
    assert counts(pipeline) == (6, 6, 2)
    (dead,) = [m for m in pipeline.notifications() if m["event_type"] == "file_dead_lettered"]
    error = dead["error"]
    assert dead["file"].endswith(bad_key) and bad_key in error and good_key not in error
    assert "COPY into staging of orders failed: Spectrum Scan Error (SQLSTATE XX000): code: 15001" in error
    part_bucket, part_key = parse_s3_uri(bad_part)
    assert (
        "The length of the data column currency is longer than the length defined in the table. Table: 3, "
        f"Data: 5, File name: https://s3.us-east-1.amazonaws.com/{part_bucket}/{part_key}"
    ) in error
    assert f"load errors: {bad_part} column currency: String length exceeds DDL length" in error
    status, ledger_error = pipeline.query(f"SELECT status, error FROM \"file_ledger\" WHERE key = '{bad_key}'")[0]
    assert status == "dead_letter" and "longer than the length defined in the table" in ledger_error
