"""Offline evaluation: seeded splits, metrics, baselines and the report."""
