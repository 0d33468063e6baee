"""Validation: a ParsedBatch -> canonical, validated tables and per-row reject reasons (vectorised)."""
