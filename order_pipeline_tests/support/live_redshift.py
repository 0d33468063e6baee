"""What the opt-in live Redshift test reports of a run's cost: objects stored and bytes COPY read."""

from __future__ import annotations

import json


def listed(s3, bucket: str, prefix: str) -> list[dict]:
    objects: list[dict] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects += page.get("Contents", [])
    return objects


def cost_facts(s3, bucket: str, run: str) -> dict[str, int]:
    """What the run stored and what COPY read, from the objects under the run's prefix."""
    landing = listed(s3, bucket, f"{run}/landing/")
    lake = listed(s3, bucket, f"{run}/lake/")
    parts = [o for o in lake if o["Key"].endswith(".parquet")]
    manifests = [o for o in lake if o["Key"].endswith(".manifest")]
    copied = 0
    for manifest in manifests:
        body = json.loads(s3.get_object(Bucket=bucket, Key=manifest["Key"])["Body"].read())
        copied += sum(int(entry["meta"]["content_length"]) for entry in body["entries"])
    return {
        "landing_files": len(landing),
        "landing_bytes": sum(o["Size"] for o in landing),
        "parquet_parts": len(parts),
        "parquet_bytes": sum(o["Size"] for o in parts),
        "copy_commands": len(manifests),
        "copy_bytes_read": copied,
    }
