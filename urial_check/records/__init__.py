"""Typed run records, the metrics computed from them, gates and baselines."""
