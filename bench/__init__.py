"""Benchmarks run by ``make bench``: each figure beside its baseline from the same run."""
