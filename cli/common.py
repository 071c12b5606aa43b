"""What every ``credgraph`` command shares: the settings, the consoles, a migrated graph."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from rich.console import Console

from cli.backend import graph_backend
from config.settings import Settings
from graph.driver import Graph
from graph.errors import CredgraphError
from graph.migrate import apply_migrations, load_migrations

console = Console(stderr=True)  # progress, notes and errors
out = Console()  # what a command prints as its result
T = TypeVar("T")


def load_settings() -> Settings:
    """Settings from the environment; a bad value is reported with its variable name."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise CredgraphError(f"setting {name}: {first['msg']}") from exc


def on_graph(settings: Settings, work: Callable[[Graph], Awaitable[T]]) -> T:
    """Run ``work`` on a migrated graph (the embedded server started when needed)."""

    async def run() -> T:
        graph = await Graph.connect(settings.graph_config())
        try:
            await apply_migrations(graph, load_migrations(settings.migrations_dir))
            return await work(graph)
        finally:
            await graph.close()

    with graph_backend(settings, console):
        return asyncio.run(run())
