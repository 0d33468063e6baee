"""Every statement the Redshift backend sends is in the compatibility record, and the record lists nothing else.

The orders scenario runs through the real sensor and runs against the local endpoint, which records every
statement text the driver sends; each becomes a shape (statement_shapes) that docs/redshift-compatibility.md
must list. Each one also still parses with sqlglot's Redshift dialect. The builders' statements (the unit
enumeration in test_warehouse_sql_parse, which includes error paths the scenario does not take) must be listed
too, and every listed shape must come from one of the two.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import sqlglot
from sqlglot import exp

from order_pipeline.datasets.orders_generator import parse_ts
from order_pipeline_tests.redshift_endpoint.statement_shapes import shape
from order_pipeline_tests.support.pipeline_harness import local_pipeline
from order_pipeline_tests.support.redshift_fixtures import redshift_pipeline_env
from order_pipeline_tests.support.scenarios import OPTIONS, assert_matches, decode, land_generated
from order_pipeline_tests.support.sql_corpus import statements

RECORD = Path(__file__).resolve().parents[2] / "docs" / "redshift-compatibility.md"
DRIVER_SHAPES = {"ROLLBACK"}  # the driver's, sent only after a failure (the scenario has none)


def recorded_shapes() -> set[str]:
    """The first cell, `shape`, of each row of the record's section "Statements the backend sends"."""
    section = RECORD.read_text(encoding="utf-8").split("## Statements the backend sends", 1)[1].split("\n## ", 1)[0]
    return {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}


def builder_shapes() -> set[str]:
    return {shape(sql) for sql, _ in statements("redshift").values()}


def test_the_record_lists_every_statement_the_builders_make():
    recorded = recorded_shapes()
    assert len(recorded) > 20
    assert sorted(builder_shapes() - recorded) == []


def test_every_statement_the_backend_sends_is_recorded(aws_endpoint, bucket, tmp_path, redshift_endpoint):
    env = redshift_pipeline_env(redshift_endpoint, bucket.replace("-", "_"))
    with local_pipeline(aws_endpoint, bucket, tmp_path, extra_env=env) as pipeline:
        with redshift_endpoint.recording() as sent:
            files = land_generated(pipeline, OPTIONS)
            assert pipeline.tick().runs
            key, content = sorted(files.items())[0]
            changed = [
                dict(
                    r,
                    status="cancelled",
                    updated_at=(parse_ts(r["updated_at"]) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                )
                for r in decode(content)[:5]
            ]
            pipeline.land(key, b"".join(orjson.dumps(r) + b"\n" for r in changed + decode(content)[5:]))
            assert pipeline.tick().runs  # the re-upload: updated orders, replaced items
        assert_matches(pipeline, [r for c in files.values() for r in decode(c)] + changed)
    sent_shapes = {shape(sql): sql for sql in sent}
    assert len(sent_shapes) > 20
    recorded = recorded_shapes()
    missing = {s: sql for s, sql in sent_shapes.items() if s not in recorded}
    assert missing == {}
    stale = recorded - set(sent_shapes) - builder_shapes() - DRIVER_SHAPES
    assert sorted(stale) == []  # nothing in the record that nothing sends
    for sql in sent:
        tree = sqlglot.parse_one(sql, read="redshift")
        if isinstance(tree, exp.Command):  # sqlglot has no grammar for LOCK; the endpoint checks its form
            assert tree.this == "LOCK", sql
