"""Benchmarks: ratios against the raw floor, measured in the same run (python -m bench)."""
