"""Backends credgraph starts itself: the embedded ArcadeDB server (``backend.embedded``), a local
process speaking Bolt, started and stopped by ``credgraph db`` and by ``make run``."""
