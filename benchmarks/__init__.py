"""Benchmarks for pi-pause: scripts that measure and write results (not timed tests).

Run them from the project root as modules, e.g. ``python -m benchmarks.corpus`` and
``python -m benchmarks.spotter``; docs/benchmarks.md has the exact commands and figures.
"""
