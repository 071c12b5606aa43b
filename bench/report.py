"""``python -m bench.report``: one report from the latest results in ``bench/out/``.

Writes ``bench/report.md`` and its JSON twin ``bench/report.json`` (every figure beside its
baseline from the same run, the ratio, the goal, the machine and the dataset sizes), and two
plots: ``bench/report-latency.png`` (latency distributions under load and for the single-request
figures) and ``bench/report-recompute.png`` (how ``score --all`` grows from 10k to 1M entities).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.harness import OUT

HERE = Path(__file__).resolve().parent
SECTIONS = (
    ("registry", "Registry: import, lookups, generation"),
    ("scoring", "Scoring: rescoring, whole-graph recompute, and investigation on the 1M graph"),
    ("scaling", "Scaling of the whole-graph recompute"),
    ("investigation", "Investigation (standalone run)"),
    ("load", "Load: 32 clients for 60 s"),
    (
        "bystander",
        "Bystander: lookups while an anonymous client sends the heaviest admitted request",
    ),
    ("audit", "Audit: audited writes and reads a second, 32 clients, one worker"),
)
READING = """\
How to read this. Every figure was measured by `make bench` on the machine below, each beside a
baseline taken in the same run on the same warm server (the bare neo4j driver sending the same
Cypher, a bare scipy sparse pass, a bare `UNWIND ... MERGE`), so the ratio carries over to other
hardware better than the absolute number. The machine has 2 cores shared by the benchmark client,
the API and the graph server, so latencies include contention a deployment with separate hosts
would not have; expect run-to-run noise of about 15 %. The embedded ArcadeDB backend stands in for
Neo4j here; on Neo4j 5 the Cypher is the same and the graph part of each figure will differ.
"""


def _load(name: str) -> dict[str, Any] | None:
    path = OUT / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _number(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def _rows(figures: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| figure | value | baseline (same run) | ratio | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        met = "" if f.get("met") is None else ("yes" if f["met"] else "**no**")
        lines.append(
            f"| {f['name']} | {_number(f['value'], f['unit'])} | "
            f"{_number(f.get('baseline'), f['unit'])} | {_number(f.get('ratio'))} | "
            f"{f.get('goal') or ''} | {met} |"
        )
        notes = f.get("notes") or {}
        if notes:
            detail = ", ".join(
                f"{k} {round(v, 2) if isinstance(v, float) else v}"
                for k, v in notes.items()
                if k != "first_errors"
            )
            lines.append(f"| &nbsp;&nbsp;{detail} | | | | | |")
    return lines


def _plots(results: dict[str, dict[str, Any]]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    load = results.get("load")
    if load and load.get("latencies"):
        fig, ax = plt.subplots(figsize=(10, 4.5))
        runs = load["latencies"]
        if all(isinstance(v, list) for v in runs.values()):  # one run: {kind: [ms]}
            runs = {"": runs}
        labels, series = [], []
        for kind in next(iter(runs.values())):
            for run, by_kind in runs.items():
                if by_kind.get(kind):
                    labels.append(f"{kind}\n{run}" if run else kind)
                    series.append(by_kind[kind])
        ax.boxplot(series, tick_labels=labels, showfliers=False, whis=(1, 99))
        ax.tick_params(axis="x", labelsize=8)
        ax.set_ylabel("latency (ms), whiskers at p1 and p99")
        ax.set_title(f"Latency under load: {load.get('concurrency', 32)} clients, 100k entities")
        fig.tight_layout()
        fig.savefig(HERE / "report-latency.png", dpi=110)
        plt.close(fig)
        made.append("report-latency.png")
    points: list[tuple[int, float]] = []
    for name in ("scaling", "scoring"):
        for f in (results.get(name) or {}).get("figures", []):
            if f["name"].startswith("score --all at") and "first run" in f["name"]:
                entities = int(f["name"].split(" at ")[1].split(" ")[0].replace(",", ""))
                points.append((entities, float(f["value"])))
    if len(points) >= 2:
        points.sort()
        fig, ax = plt.subplots(figsize=(7, 4.5))
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", label="score --all (read, compute, write)")
        ax.axhline(120, color="grey", linestyle="--", label="goal at 1M: 120 s")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("entities")
        ax.set_ylabel("seconds")
        ax.set_title("Whole-graph recompute time by graph size")
        ax.legend()
        fig.tight_layout()
        fig.savefig(HERE / "report-recompute.png", dpi=110)
        plt.close(fig)
        made.append("report-recompute.png")
    return made


def _previous() -> dict[str, Any]:
    """The committed report's twin: a partial run keeps the sections it did not measure."""
    path = HERE / "report.json"
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write() -> Path:
    """Write the report from this run's results; sections it did not run come from the last
    report (with their own measurement times), so ``--bystander-only`` updates one section."""
    previous = _previous()
    kept = previous.get("sections", {})
    results = {
        name: data for name, _ in SECTIONS if (data := _load(name) or kept.get(name)) is not None
    }
    machine: dict[str, Any] = next((r["machine"] for r in results.values() if "machine" in r), {})
    lines = ["# credgraph benchmark report", "", READING]
    lines += [
        f"Machine: {machine.get('cpus', '?')} CPUs ({machine.get('processor', '?')}), "
        f"{machine.get('platform', '?')}, Python {machine.get('python', '?')}.",
        "",
    ]
    for name, title in SECTIONS:
        data = results.get(name)
        if data is None:
            continue
        sizes = {k: v for k, v in data.items() if k in ("entities", "import_seconds", "seconds")}
        measured = f"Measured {data.get('measured_at', '(time not recorded)')}"
        if sizes:
            measured += "; " + ", ".join(f"{k} {_number(v)}" for k, v in sizes.items())
        lines += [f"## {title}", "", measured, ""]
        lines += [*_rows(data["figures"]), ""]
    plots = _plots(results)
    plots += [p for p in previous.get("plots", []) if p not in plots and (HERE / p).exists()]
    for plot in plots:
        lines += [f"![{plot}]({plot})", ""]
    (HERE / "report.md").write_text("\n".join(lines))
    twin = {
        "machine": machine,
        "sections": {
            name: {k: v for k, v in data.items() if k != "latencies"}
            for name, data in results.items()
        },
        "plots": plots,
    }
    (HERE / "report.json").write_text(json.dumps(twin, indent=2, ensure_ascii=False, default=str))
    return HERE / "report.md"


if __name__ == "__main__":
    print(f"wrote {write()}")
