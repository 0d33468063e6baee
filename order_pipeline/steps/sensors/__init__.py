"""Sensor ticks without Dagster: the landing sensor's and the reconcile's decisions."""
