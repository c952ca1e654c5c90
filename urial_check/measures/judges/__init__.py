"""Judges: one Protocol, three implementations (heuristic, openai, hf).

The public names are re-exported from :mod:`urial_check.measures.judges.registry`.
"""
