"""Benchmarks of the harness on synthetic Atmos organizations (``nox -s bench``)."""
