"""The headless drain de-duplicates runs on the tag the daemon uses (Dagster keeps that constant private)."""

from dagster._core.storage.tags import RUN_KEY_TAG as DAGSTER_RUN_KEY_TAG

from order_pipeline.commands.headless import RUN_KEY_TAG


def test_the_run_key_tag_is_the_one_dagster_writes() -> None:
    assert RUN_KEY_TAG == DAGSTER_RUN_KEY_TAG
