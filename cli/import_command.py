"""``credgraph import``: the progress bar and the summary around ``ingest.importer``."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from graph.driver import Graph, GraphConfig
from ingest.importer import Importer, ImportReport
from ingest.national import NationalFormat, convert


class RowsPerSecond(ProgressColumn):
    """Rows read per second since the start."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} rows/s", style="progress.data.speed")


def count_lines(paths: list[Path]) -> int:
    """Lines in the files (an upper bound of their rows), read in large blocks."""
    total = 0
    for path in paths:
        last = b"\n"
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                total += block.count(b"\n")
                last = block[-1:]
        total += last != b"\n"  # a last line without its newline
    return total


def run_import(
    config: GraphConfig,
    paths: list[Path],
    batch_size: int,
    console: Console,
    national: NationalFormat | None = None,
) -> ImportReport:
    """Import ``paths`` (files, as ``expand_paths`` gives them) with a progress bar; in a
    national format (``ingest.national``), converted first."""
    lines = count_lines(paths) if national is None else 0
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        RowsPerSecond(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("importing", total=max(2 * lines, 1))

        async def main() -> ImportReport:
            graph = await Graph.connect(config)
            try:
                prepared = None
                if national is not None:
                    prepared = {path: await convert(graph, path, national) for path in paths}
                    total = sum(len(rows) for rows in prepared.values())
                    progress.update(task, total=max(2 * total, 1))
                importer = Importer(
                    graph,
                    batch_size=batch_size,
                    on_progress=lambda rows: progress.advance(task, rows),
                    rows=prepared.__getitem__ if prepared is not None else None,
                )
                return await importer.run(paths)
            finally:
                await graph.close()

        started = time.monotonic()
        report = asyncio.run(main())
        progress.update(task, completed=progress.tasks[0].total or 0)
    rows = report.total if national is not None else lines
    noun = "line" if national is None else "row"
    noun += "" if rows == 1 else "s"
    console.print(f"[dim]{rows:,} {noun} read twice in {time.monotonic() - started:.1f}s[/dim]")
    return report


def summary_table(report: ImportReport) -> Table:
    """created / updated / unchanged / rejected per row type."""
    table = Table("type", "created", "updated", "unchanged", "rejected", title="import summary")
    for kind, counts in report.counts.items():
        if counts.total == 0:
            continue
        table.add_row(
            kind,
            f"{counts.created:,}",
            f"{counts.updated:,}",
            f"{counts.unchanged:,}",
            f"[red]{counts.rejected:,}[/red]" if counts.rejected else "0",
        )
    return table
