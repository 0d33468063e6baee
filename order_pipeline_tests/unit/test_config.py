"""Configuration: one place reads the environment, each default is written once, README lists every variable."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from order_pipeline.components.redshift_resource import redshift_resource_from_settings, redshift_variables
from order_pipeline.config import Settings, load_settings, variable_names

README = Path(__file__).resolve().parents[2] / "README.md"


def test_unset_variables_keep_the_declared_defaults():
    assert load_settings({}) == Settings()
    assert load_settings({"ORDER_PIPELINE_BUCKET": ""}).bucket == Settings().bucket  # empty counts as unset


def test_values_are_parsed_by_their_type_and_the_duckdb_file_follows_the_state_dir():
    settings = load_settings(
        {
            "ORDER_PIPELINE_STATE_DIR": "/srv/state",
            "ORDER_PIPELINE_QUEUE_MAX_MESSAGES": "40",
            "ORDER_PIPELINE_PARTITION_START": "2026-11-01",
            "ORDER_PIPELINE_REDSHIFT_SSL": "false",
            "ORDER_PIPELINE_REDSHIFT_WORKGROUP": "wg",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    assert settings.duckdb_path == Path("/srv/state/warehouse.duckdb") and settings.queue_max_messages == 40
    assert str(settings.partition_start) == "2026-11-01" and settings.region == "eu-west-1"
    assert settings.redshift == {"ssl": "false", "workgroup": "wg"}  # the RedshiftResource declares and parses them


@pytest.mark.parametrize(
    "name, value",
    [
        ("ORDER_PIPELINE_WAREHOUSE", "snowflake"),
        ("ORDER_PIPELINE_SENSOR_MODE", "polling"),
        ("ORDER_PIPELINE_RECONCILE_DAYS", "a month"),
    ],
)
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(ValueError, match=name):
        load_settings({name: value})


def test_readme_lists_every_variable_the_settings_read():
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(ORDER_PIPELINE_[A-Z_]+)`", table))
    for group in re.findall(r"`ORDER_PIPELINE_REDSHIFT_[A-Z]+` / (`_[A-Z_]+`(?: / `_[A-Z_]+`)*)", table):
        listed |= {f"ORDER_PIPELINE_REDSHIFT{suffix}" for suffix in re.findall(r"`(_[A-Z_]+)`", group)}
    everything = {*variable_names(), *redshift_variables().values(), "ORDER_PIPELINE_REDSHIFT_PASSWORD"}
    assert everything <= listed, sorted(everything - listed)
    assert len(variable_names()) == len(fields(Settings)) - 2  # all but region (AWS_REGION) and redshift


def test_redshift_fields_are_the_resources_read_from_their_variables():
    env = {
        "ORDER_PIPELINE_REDSHIFT_HOST": "h.example",
        "ORDER_PIPELINE_REDSHIFT_PORT": "5440",
        "ORDER_PIPELINE_REDSHIFT_SSL": "false",
        "ORDER_PIPELINE_REDSHIFT_SCHEMA": "orders",
        "ORDER_PIPELINE_REDSHIFT_COPY_IAM_ROLE": "arn:aws:iam::123456789012:role/copy",
        "ORDER_PIPELINE_REDSHIFT_PASSWORD": "never-in-settings",
        "AWS_REGION": "eu-west-1",
    }
    settings = load_settings(env)
    assert "never-in-settings" not in repr(settings)
    resource = redshift_resource_from_settings(settings)
    assert (resource.host, resource.port, resource.ssl, resource.schema_name, resource.region) == (
        "h.example",
        5440,
        False,
        "orders",
        "eu-west-1",
    )
    assert resource.manifest_prefix == "s3://order-pipeline-local/lake/_manifests/"
    with pytest.raises(ValueError, match="ORDER_PIPELINE_REDSHIFT_HOTS"):  # a typo is not silently ignored
        redshift_resource_from_settings(load_settings({**env, "ORDER_PIPELINE_REDSHIFT_HOTS": "x"}))
