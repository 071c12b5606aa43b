"""Use cases: the registry's rules, each in one function that takes a ``Session`` (the graph and
the caller) and returns plain dataclasses or raises ``usecases.errors`` exceptions.

The GraphQL layer (``api``) parses arguments, calls one use case and maps its result to types;
the command line (``cli``) and file ingestion (``ingest``) call the same functions. Use cases
reach the graph only through ``graph.repositories`` and compute only through ``scoring``: no
Cypher, no driver, no GraphQL here (``tests/test_layering.py``).
"""
