"""A dataset declared in YAML builds what a Python declaration builds, and a wrong declaration is refused with
a message naming the field."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import dagster as dg
import pytest
import yaml

from order_pipeline.commands.replay import replay_key
from order_pipeline.commands.replay_csv import csv_from_rejects
from order_pipeline.components.dataset_component import TEMPLATE, DatasetComponent
from order_pipeline.components.full_checks import full_checks_job_name
from order_pipeline.components.pipeline import dataset_definitions, resource_definitions
from order_pipeline.config import load_settings
from order_pipeline.conversion import convert_file
from order_pipeline.datasets.declaration import Column, Dataset
from order_pipeline.datasets.kinds import KINDS
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.datasets.registry import COMPONENT_TYPE, DeclarationError, registered_datasets, yaml_datasets
from order_pipeline.datasets.yaml_declaration import DatasetSpec
from order_pipeline_tests.support.shipments import FEEDS_DEFS, shipments_dataset

FIXTURE = FEEDS_DEFS / "shipments" / "defs.yaml"


def _attributes() -> dict:
    return yaml.safe_load(FIXTURE.read_text())["attributes"]


def _refused(attributes: dict) -> str:
    with pytest.raises(ValueError) as refused:
        DatasetSpec.model_validate(attributes)
    return str(refused.value)


def test_the_yaml_feed_declares_every_kind_with_at_least_twelve_columns():
    dataset = shipments_dataset()
    assert len(dataset.columns) >= 12 and {c.kind for c in dataset.columns} == set(KINDS)


def test_yaml_builds_the_same_dataset_a_python_declaration_does():
    python = Dataset(
        name="shipments",
        description="Parcels handed to carriers",
        owners=("team:logistics",),
        group_name="logistics",
        merge_key=("shipment_id",),
        event_time_column="shipped_at",
        columns=tuple(
            Column(c.name, c.kind, **{f: getattr(c, f) for f in ("nullable", "max_bytes", "pattern", "allowed")})
            if c.kind == "string"
            else c
            for c in shipments_dataset().columns
        ),
    )
    assert shipments_dataset() == python
    cost = next(c for c in python.columns if c.name == "cost")
    assert (cost.precision, cost.scale, str(cost.min_value)) == (12, 2, "0")


def test_the_component_builds_exactly_the_python_definitions():
    settings = load_settings({})
    component = DatasetComponent.resolve_from_yaml(yaml.safe_dump(_attributes()))
    resources = resource_definitions(settings)
    built = dg.Definitions.merge(component.build_defs(dg.ComponentTree.for_test().load_context), resources)
    expected = dg.Definitions.merge(dataset_definitions(shipments_dataset(), settings), resources)
    graph, expected_graph = built.resolve_asset_graph(), expected.resolve_asset_graph()
    assert graph.get_all_asset_keys() == expected_graph.get_all_asset_keys()
    assert graph.asset_check_keys == expected_graph.asset_check_keys and graph.asset_check_keys
    assert (
        {j.name for j in built.jobs}
        == {j.name for j in expected.jobs}
        == {
            "shipments_load_job",
            full_checks_job_name(shipments_dataset()),
        }
    )
    assert {s.name for s in built.schedules} == {s.name for s in expected.schedules} and len(built.schedules) == 1
    assert (
        {s.name for s in built.sensors}
        == {s.name for s in expected.sensors}
        == {
            "s3_shipments_files_sensor",
            "s3_shipments_files_reconcile",
        }
    )
    lake = graph.get(dg.AssetKey(["warehouse", "shipments"]))
    assert lake.group_name == "logistics" and lake.owners == ["team:logistics"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda a: a["columns"][10].update(kind="decimall"), "kind 'decimall' is not a kind"),
        (lambda a: a.update(merge_key=["shipment"]), "merge_key: 'shipment' is not a declared column"),
        (lambda a: a.update(event_time="sent_at"), "event_time: 'sent_at' is not a declared column"),
        (lambda a: a.update(version_column="v"), "version_column: 'v' is not a declared column"),
        (lambda a: a["options"].update(max_bad_rows=5), "max_bad_rows"),
        (lambda a: a["options"].update(quarantine_check="fatal"), "quarantine_check"),
        (lambda a: a.update(retention_days=5), "retention_days"),
        (lambda a: a["columns"][0].update(maxbytes=5), "maxbytes"),
        (lambda a: a["csv"].update(delimiter=";;"), "delimiter must be one character"),
        (lambda a: a.update(rules=["nowhere.at_all:RULE"]), "rules: cannot import 'nowhere.at_all:RULE'"),
        (lambda a: a["columns"][10].update(precision=50), "decimal(50,2)"),
    ],
)
def test_a_wrong_declaration_is_refused_naming_the_field(change, named):
    attributes = copy.deepcopy(_attributes())
    change(attributes)
    assert named in _refused(attributes)


def test_record_rules_and_derived_tables_are_referenced_from_yaml():
    attributes = copy.deepcopy(_attributes())
    attributes.update(
        name="orders_copy",
        rules=["order_pipeline.datasets.orders:ORDERS"],  # not a rule: refused
    )
    assert "is not a RecordRule" in _refused(attributes)
    rules = [f"order_pipeline_tests.support.shipments:{name}" for name in ("COST_WITHIN_LIMIT",)]
    attributes["rules"] = rules
    dataset = DatasetSpec.model_validate(attributes).to_dataset()
    assert [r.name for r in dataset.rules] == ["cost_within_limit"]


def test_the_registry_adds_the_yaml_feeds_to_the_python_ones(tmp_path: Path):
    assert [d.name for d in registered_datasets(FEEDS_DEFS)] == ["orders", "shipments"]
    assert registered_datasets(tmp_path) == (ORDERS,)  # nothing declared there
    twice = tmp_path / "again" / "defs.yaml"
    twice.parent.mkdir()
    twice.write_text(FIXTURE.read_text().replace("name: shipments", "name: orders"))
    with pytest.raises(DeclarationError, match="'orders' declared more than once"):
        registered_datasets(tmp_path)
    twice.write_text(FIXTURE.read_text().replace("kind: int16", "kind: short"))
    with pytest.raises(DeclarationError, match=r"(?s)again/defs.yaml.*kind 'short' is not a kind"):
        yaml_datasets(tmp_path)


def test_the_scaffolded_template_is_a_valid_declaration():
    document = yaml.safe_load(TEMPLATE.format(type=COMPONENT_TYPE, name="invoices"))
    assert document["type"] == COMPONENT_TYPE
    dataset = DatasetSpec.model_validate(document["attributes"]).to_dataset()
    assert dataset.name == "invoices" and dataset.merge_key == ("id",)
    assert next(c for c in dataset.columns if c.name == "email").sensitive


def test_csv_rejects_replay_as_csv(tmp_path: Path):
    dataset = shipments_dataset()
    settings = load_settings({"ORDER_PIPELINE_BUCKET": "b"})
    uri = "s3://b/quarantine/shipments/dt=2026-11-20/a.csv.abc123.rejects.jsonl"
    key, _ = replay_key(settings.layout, dataset, uri)
    assert key.endswith("/dt=2026-11-20/replay-a.csv.abc123.csv")
    source = tmp_path / "a.csv"
    source.write_text(
        "shipment_id,carrier,cost,ship_date,shipped_at,fragile\n"
        "SH-1,dhl,1.00,2026-11-01,2026-11-01T08:00:00Z,true\n"
        "SH-2,dhl,2.00,2026-11-01,2026-11-01T08:00:00Z,maybe\n"
        "SH-3,dhl,3.00,2026-11-01\n"
    )
    result = convert_file(dataset, source, tmp_path / "out", source_name="s3://b/a.csv")
    assert result.rejected_records == 2
    fixed = (
        result.rejects_path.read_bytes()
        .replace(b"maybe", b"false")
        .replace(b"SH-3,dhl,3.00,2026-11-01", b"SH-3,dhl,3.00,2026-11-01,2026-11-01T09:00:00Z,")
    )
    replayed = tmp_path / "replay-a.csv"
    replayed.write_bytes(csv_from_rejects(fixed, uri, "csv", dataset))
    again = convert_file(dataset, replayed, tmp_path / "again", source_name="s3://b/replay-a.csv")
    assert (again.status, again.rows["shipments"]) == ("converted", 2), again.first_rejects


def test_a_dataset_spec_is_frozen_like_a_declaration():
    spec = DatasetSpec.model_validate(_attributes())
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        spec.name = "other"
    assert dataclasses.is_dataclass(spec.to_dataset())
