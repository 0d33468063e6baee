"""The warehouse step without Dagster: one date's converted files -> the warehouse, crash guard, checks."""
