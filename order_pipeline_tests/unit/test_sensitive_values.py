"""Issue 20 item 6: values of columns declared `sensitive` are never quoted in reject reasons, and the opt-in raw
preview of a notification masks them (a record that is not an object is withheld)."""

from __future__ import annotations

from pathlib import Path

import orjson

from order_pipeline.components.reject_summary import MASK, reject_summary
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.declaration import ChildTable, Column, Dataset
from order_pipeline.datasets.orders import ORDERS

SECRET = "zelda.quixote@example"
SECRET_CODE = "hidden-code-42"

PEOPLE = Dataset(
    name="people",
    merge_key=("person_id",),
    event_time_column="seen_at",
    max_bad_ratio=1.0,
    max_bad_records=100,
    columns=(
        Column("person_id", "int64", nullable=False),
        Column("seen_at", "timestamp"),
        Column("email", "string", pattern=r"[^@]+@[^@]+\.[a-z]+", sensitive=True),
        Column("city", "string", source="address.city", max_bytes=16, pattern=r"[A-Z][a-z]+", sensitive=True),
        Column("code", "string", pattern=r"[A-Z]+"),
        Column("age", "int64", min_value=0, sensitive=True),
    ),
    children=(ChildTable("cards", "cards", (Column("number", "string", pattern=r"\d+", sensitive=True),)),),
)


def _reasons(tmp_path: Path, records: list[dict]) -> list[str]:
    source = tmp_path / "people.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = convert_file(PEOPLE, source, tmp_path / "out", landed_at=None)
    lines = (tmp_path / "out" / "rejects.jsonl").read_bytes().splitlines()
    assert result.rejected_records == len(lines)
    return [orjson.loads(line)["reason"] for line in lines]


def test_reasons_quote_no_value_of_a_sensitive_column(tmp_path: Path) -> None:
    records = [
        {"person_id": 1, "email": SECRET, "cards": []},
        {"person_id": 2, "address": {"city": "paris-" + SECRET_CODE}, "cards": []},
        {"person_id": 3, "age": -77123, "cards": []},
        {"person_id": 4, "cards": [{"number": SECRET_CODE}]},
        {"person_id": 5, "code": "lower-" + SECRET_CODE, "cards": []},
    ]
    reasons = _reasons(tmp_path, records)
    text = "\n".join(reasons)
    assert SECRET not in text and "-77123" not in text
    assert text.count(SECRET_CODE) == 1 and "lower-" + SECRET_CODE in text  # the one column not sensitive
    assert text.count("masked: sensitive column") == 4, text


def test_the_raw_preview_is_off_by_default_and_masks_sensitive_fields_when_on() -> None:
    report = {
        "record": 2,
        "line": 2,
        "field": "code",
        "reason": "does not match",
        "raw": {"person_id": 2, "email": SECRET, "address": {"city": "Paris"}, "cards": [{"number": "4111"}]},
    }
    assert reject_summary(report, PEOPLE) == {"record": 2, "line": 2, "field": "code", "reason": "does not match"}
    preview = reject_summary(report, PEOPLE, raw_preview=True)["raw_preview"]
    assert orjson.loads(preview) == {
        "person_id": 2,
        "email": MASK,
        "address": {"city": MASK},
        "cards": [{"number": MASK}],
    }
    unparsed = dict(report, raw='{"person_id": 2, "email": "' + SECRET)
    assert SECRET not in reject_summary(unparsed, PEOPLE, raw_preview=True)["raw_preview"]
    long = dict(report, raw={"person_id": 2, "note": "n" * 5000})
    assert len(reject_summary(long, PEOPLE, raw_preview=True)["raw_preview"]) <= 501


def test_the_orders_dataset_marks_the_recipient_s_name_street_and_postal_code_sensitive() -> None:
    assert {c.name for c in ORDERS.columns if c.sensitive} == {"ship_name", "ship_street", "ship_postal_code"}
