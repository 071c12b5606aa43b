"""The graph layer: the driver, the embedded backend, repositories (all Cypher) and migrations."""
