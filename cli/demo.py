"""The demo registry ``make run`` loads into an empty graph."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from pathlib import Path

from rich.console import Console

from cli.generate_command import run_generate
from cli.import_command import run_import, summary_table
from cli.score_command import run_score_all
from cli.score_command import summary_table as score_table
from config.settings import Settings
from graph.driver import Graph
from graph.migrate import apply_migrations, load_migrations
from graph.repositories.entities import count_companies
from ingest.national import NationalFormat
from ingest.readers import expand_paths
from scoring.scheme import load_schemes

SAMPLES = Path(__file__).resolve().parent.parent / "ingest" / "samples"
# The national lists the demo imports after the generated registry, each as its publisher lays
# it out (README, "National formats"); their registry sample brings an offshore holding, a
# passport holder and a permit holder.
SAMPLE_LISTS = {
    "shuanggongshi-penalty.csv": NationalFormat.SHUANGGONGSHI_PENALTY,
    "shuanggongshi-licence.csv": NationalFormat.SHUANGGONGSHI_LICENCE,
    "dishonest-debtors.csv": NationalFormat.DISHONEST_DEBTORS,
}

DEMO_COMPANIES = 2000
DEMO_PERSONS = 5000
DEMO_SEED = 20261122


async def _empty(settings: Settings) -> bool:
    graph = await Graph.connect(settings.graph_config())
    try:
        await apply_migrations(graph, load_migrations(settings.migrations_dir))
        return await count_companies(graph) == 0
    finally:
        await graph.close()


def load_demo_if_empty(settings: Settings, console: Console) -> bool:
    """Generate and import the demo set when the graph holds no company; True when it did."""
    if not asyncio.run(_empty(settings)):
        return False
    folder = settings.data_dir.resolve().parent / "demo"
    console.print(f"the graph is empty: loading a demo registry from {folder}")
    run_generate(folder, DEMO_COMPANIES, DEMO_PERSONS, DEMO_SEED, 2, console)
    report = run_import(settings.graph_config(), expand_paths([folder]), 5000, console)
    console.print(summary_table(report))
    if report.rejected:
        console.print(
            f"{report.rejected} demo rows were rejected on purpose (the generator writes some "
            f"identity numbers with wrong check characters): see {folder}/*.rejects.jsonl",
            soft_wrap=True,
        )
    samples = folder.parent / "demo-lists"  # beside the generated files, not among them
    samples.mkdir(exist_ok=True)
    registry = Path(shutil.copy(SAMPLES / "registry.jsonl", samples / "registry.jsonl"))
    run_import(settings.graph_config(), [registry], 5000, console)
    for name, national in SAMPLE_LISTS.items():
        listed = Path(shutil.copy(SAMPLES / name, samples / name))
        found = run_import(settings.graph_config(), [listed], 5000, console, national)
        console.print(
            f"{name}: {found.changed} records; {found.rejected} "
            f"{'row' if found.rejected == 1 else 'rows'} rejected on purpose "
            f"(see {listed}.rejects.jsonl)",
            soft_wrap=True,
        )
    # Scored at once, so levels, the blacklist and the console's colours show from the start.
    schemes = load_schemes(settings.schemes_dir)
    run = run_score_all(settings.graph_config(), schemes, date.today(), console)
    console.print(score_table(run, schemes))
    return True
