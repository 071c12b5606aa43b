"""``python -m bench.score_once``: one ``score --all`` in a process of its own, so that the
benchmark can read that process's peak memory (``bench.scoring``), and its figures as JSON.

The graph comes from the environment as for ``credgraph`` (``NEO4J_URI`` ...); prints one line
of JSON: the seconds of each phase and what was written.
"""

from __future__ import annotations

import sys
from datetime import date

import orjson
from rich.console import Console
from rich.progress import Progress

from cli.score_command import score_all
from config.settings import Settings
from scoring.scheme import load_schemes


def main() -> None:
    import asyncio

    settings = Settings()
    with Progress(console=Console(quiet=True)) as progress:
        run = asyncio.run(
            score_all(
                settings.graph_config(), load_schemes(settings.schemes_dir), date.today(), progress
            )
        )
    sys.stdout.write(
        orjson.dumps(
            {
                "read_s": run.read_seconds,
                "compute_s": run.compute_seconds,
                "write_s": run.write_seconds,
                "written": sum(s.written for s in run.schemes),
                "links": run.links,
                "records": run.records,
            }
        ).decode()
        + "\n"
    )


if __name__ == "__main__":
    main()
