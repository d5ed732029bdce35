"""Benchmarks for aspectfile-core; run them with ``nox -s bench``."""
