"""Issue 20: the resource attacks (support/hostile_files.py, at test size) through the real lake step against the
local S3 endpoint: each is quarantined with a reason naming its limit (or converted, where the file is valid),
the quarantine holds the file and its reason, and the good neighbour of the same partition lands."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from order_pipeline.aws.s3_landing import list_landing_day
from order_pipeline.config import Settings
from order_pipeline.conversion.limits import DEFAULT_LIMITS
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.steps.lake.convert_partition import convert_partition
from order_pipeline_tests.support.hostile_files import SMALL_LIMITS, small_corpus

DAY = date(2026, 11, 20)
FOLDER = "landing/orders/2026/11/20/"


def test_each_attack_is_quarantined_naming_its_limit_and_the_neighbour_loads(s3_client, bucket, tmp_path) -> None:
    settings = Settings(bucket=bucket)
    corpus = small_corpus(tmp_path)
    names = {}
    for name, hostile in corpus.items():
        key = FOLDER + f"{name}-{hostile.path.name}"
        s3_client.upload_file(str(hostile.path), bucket, key)
        names[key] = name
    files = list_landing_day(s3_client, bucket, "landing/orders/", DAY)
    limits = replace(DEFAULT_LIMITS, **SMALL_LIMITS)

    records = {
        names[c.source.key]: c
        for c, _ in convert_partition(s3_client, settings.layout, ORDERS, "2026-11-20", files, limits=limits)
    }

    assert set(records) == set(corpus)
    for name, hostile in corpus.items():
        record = records[name]
        assert record.status == hostile.status, (name, record.status, record.error)
        if hostile.status == "rejected":
            assert hostile.reason in record.error.replace(record.source.uri, ""), (name, record.error)
            assert record.parts == {} and record.quarantine_uri, name
            copy_key = record.quarantine_uri.split(bucket + "/", 1)[1]
            reason = json.loads(s3_client.get_object(Bucket=bucket, Key=copy_key + ".error.json")["Body"].read())
            assert hostile.reason in json.dumps(reason), (name, reason)
            continue
        assert record.rows["orders"] == hostile.good_rows, name
        assert set(record.parts) == {"orders", "order_items"}, name
        if hostile.status == "partial":
            assert record.rejected_records == 1 and hostile.reason in record.first_rejects[0]["reason"], name
    assert records["empty_objects"].counts["read"] < 300_000  # reading stopped once the outcome was certain ...
    rejects = s3_client.get_object(Bucket=bucket, Key=records["empty_objects"].rejects_uri.split(bucket + "/", 1)[1])
    assert rejects["ContentLength"] < 1 << 20  # ... and only the first rejects were kept
    assert "blob" in records["undeclared_blob"].undeclared  # drift saw the column, its data was never read
