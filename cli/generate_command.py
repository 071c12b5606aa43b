"""``credgraph generate``: the progress bar and summary around ``cli.synthetic``."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.shards import generate
from cli.synthetic import Spec


def run_generate(
    out: Path, companies: int, persons: int, seed: int, workers: int, console: Console
) -> dict[str, int]:
    """Generate into ``out`` with a progress bar; print and return the row counts."""
    spec = Spec(companies=companies, persons=persons, seed=seed)
    started = time.monotonic()
    columns = (
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("entities"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("generate", total=max(companies + persons, 1))
        totals = generate(
            spec,
            out,
            workers=workers,
            on_progress=lambda done: progress.update(task, completed=done),
        )
    elapsed = time.monotonic() - started
    rows = sum(totals.values())
    console.print(
        f"wrote {totals['companies']:,} companies, {totals['persons']:,} people, "
        f"{totals['links']:,} links and {totals['records']:,} records to {out} "
        f"in {elapsed:.1f}s ({rows / max(elapsed, 1e-9):,.0f} rows/s)"
    )
    return totals
