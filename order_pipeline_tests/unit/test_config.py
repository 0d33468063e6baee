"""Configuration: one place reads the environment, each default is written once, README lists every variable."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from order_pipeline.config import RedshiftSettings, Settings, load_settings, variable_names

README = Path(__file__).resolve().parents[2] / "README.md"


def test_unset_variables_keep_the_declared_defaults():
    assert load_settings({}) == Settings()
    assert load_settings({"ORDER_PIPELINE_BUCKET": ""}).bucket == Settings().bucket  # empty counts as unset


def test_values_are_parsed_by_their_type_and_the_duckdb_file_follows_the_state_dir():
    settings = load_settings({"ORDER_PIPELINE_STATE_DIR": "/srv/state", "ORDER_PIPELINE_QUEUE_MAX_MESSAGES": "40",
                              "ORDER_PIPELINE_PARTITION_START": "2026-11-01", "ORDER_PIPELINE_REDSHIFT_SSL": "false",
                              "ORDER_PIPELINE_REDSHIFT_WORKGROUP": "wg", "AWS_DEFAULT_REGION": "eu-west-1"})
    assert settings.duckdb_path == Path("/srv/state/warehouse.duckdb") and settings.queue_max_messages == 40
    assert str(settings.partition_start) == "2026-11-01" and settings.region == "eu-west-1"
    assert settings.redshift == RedshiftSettings(ssl=False, serverless_workgroup="wg")


@pytest.mark.parametrize("name, value", [("ORDER_PIPELINE_WAREHOUSE", "snowflake"),
                                         ("ORDER_PIPELINE_SENSOR_MODE", "polling"),
                                         ("ORDER_PIPELINE_RECONCILE_DAYS", "a month")])
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(ValueError, match=name):
        load_settings({name: value})


def test_readme_lists_every_variable_the_settings_read():
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(ORDER_PIPELINE_[A-Z_]+)`", table))
    for group in re.findall(r"`ORDER_PIPELINE_REDSHIFT_HOST` / (`_[A-Z_]+`(?: / `_[A-Z_]+`)*)", table):
        listed |= {f"ORDER_PIPELINE_REDSHIFT{suffix}" for suffix in re.findall(r"`(_[A-Z_]+)`", group)}
    assert set(variable_names()) <= listed, sorted(set(variable_names()) - listed)
    assert len(variable_names()) == len(fields(Settings)) - 2 + len(fields(RedshiftSettings))
