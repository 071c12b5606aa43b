"""The ``credgraph`` command line: serve, migrate, db, import and generate."""
