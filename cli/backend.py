"""Starting (or reusing) the embedded backend around a command that needs the graph."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from rich.console import Console

from config.settings import Settings


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that ``finally`` blocks stop what the command started."""

    def handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


@contextmanager
def graph_backend(settings: Settings, console: Console) -> Iterator[None]:
    """Make the graph reachable for the block: ``NEO4J_URI`` as is, else the embedded server.

    An embedded server this block started is stopped when the block ends; one that was already
    running (``credgraph db start``, another command) is left running.
    """
    if not settings.embedded:
        yield
        return
    server = settings.embedded_server()
    with console.status(f"starting the local graph server in {server.data_dir} ..."):
        started = server.start()
    if started:
        console.print(f"[dim]graph server started at {server.bolt_uri}[/dim]")
    else:
        console.print(f"[dim]reusing the graph server at {server.bolt_uri}[/dim]")
    try:
        yield
    finally:
        if started:
            with console.status("stopping the local graph server ..."):
                server.stop()
