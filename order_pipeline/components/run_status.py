"""What the Dagster instance knows of a run, for the lake step's crash guards (steps/lake/attempt_owner)."""

import dagster as dg


def run_ended(instance: dg.DagsterInstance, run_id: str) -> bool | None:
    """True when the run has ended (success, failure, canceled), False while queued or running, None when the
    instance does not know it."""
    run = instance.get_run_by_id(run_id)
    return None if run is None else run.is_finished
