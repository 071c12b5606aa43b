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

from bench.harness import BACKENDS, results_file
from bench.scoring import SCORE_ALL_SECONDS
from config.settings import Backend

HERE = Path(__file__).resolve().parent
BACKEND_NAMES = {Backend.ARCADEDB: "ArcadeDB (embedded)", Backend.NEO4J: "Neo4j 5.26"}
SECTIONS = (
    ("registry", "Registry: import, lookups, generation"),
    ("scoring", "Scoring: rescoring, whole-graph recompute, and investigation on the same graph"),
    ("scaling", "Scaling of the whole-graph recompute"),
    ("spark", "The whole-graph pass on Spark (local mode) beside the scipy pass"),
    ("investigation", "Investigation (standalone run)"),
    ("load", "Load: 32 clients for 60 s"),
    (
        "bystander",
        "Bystander: lookups while an anonymous client sends the heaviest admitted request",
    ),
    ("audit", "Audit: audited writes and reads a second, 32 clients, one worker"),
    ("shared", "Two API workers sharing Redis: one key's limit in total, a watch event on both"),
    ("peer", "Beside @neo4j/graphql: the same queries, data and graph server (baseline: the peer)"),
)
READING = """\
How to read this. Every figure was measured by `make bench` on the machine below, on each graph
backend credgraph runs on (the embedded ArcadeDB and a local Neo4j Community 5.26, both started
by the benchmark on free ports), each beside a baseline taken in the same run on the same warm
server of the same backend (the bare neo4j driver sending the same Cypher, a bare scipy sparse
pass, a bare `UNWIND ... MERGE`), so the ratio carries over to other hardware better than the
absolute number. Where a section was measured on both backends the two stand side by side; a
blank cell is a figure not measured on that backend (yet). The machine has 2 cores shared by the
benchmark client, the API and the graph server, so latencies include contention a deployment
with separate hosts would not have; expect run-to-run noise of about 15 %.
"""

Results = dict[str, dict[str, dict[str, Any]]]  # section -> backend -> its results


def _load(name: str, backend: Backend) -> dict[str, Any] | None:
    path = results_file(name, backend)
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


def _met(f: dict[str, Any] | None) -> str:
    if f is None or f.get("met") is None:
        return ""
    return "yes" if f["met"] else "**no**"


def _notes(f: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {round(v, 2) if isinstance(v, float) else v}"
        for k, v in (f.get("notes") or {}).items()
        if k != "first_errors"
    )


def _rows(by_backend: dict[str, dict[str, Any]]) -> list[str]:
    """One table: a figure per row, each backend's value, baseline and ratio side by side."""
    backends = [b for b in BACKENDS if str(b) in by_backend]
    names: list[str] = []
    found: dict[str, dict[str, dict[str, Any]]] = {}
    goals: dict[str, str] = {}
    for b in backends:
        for f in by_backend[str(b)]["figures"]:
            if f["name"] not in found:
                names.append(f["name"])
                found[f["name"]] = {}
            found[f["name"]][str(b)] = f
            goals[f["name"]] = goals.get(f["name"]) or f.get("goal") or ""
    head = ["figure"]
    for b in backends:
        label = BACKEND_NAMES[b]
        head += [label, "baseline (same run)", "ratio", "met"]
    head.append("goal")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    blank = " |" * (len(head) - 1)
    for name in names:
        cells = [name]
        for b in backends:
            f = found[name].get(str(b))
            if f is None:
                cells += ["", "", "", ""]
                continue
            cells += [
                _number(f["value"], f["unit"]),
                _number(f.get("baseline"), f["unit"]),
                _number(f.get("ratio")),
                _met(f),
            ]
        cells.append(goals[name])
        lines.append("| " + " | ".join(cells) + " |")
        for b in backends:
            f = found[name].get(str(b))
            if f is not None and (detail := _notes(f)):
                who = f"{BACKEND_NAMES[b]}: " if len(backends) > 1 else ""
                lines.append(f"| &nbsp;&nbsp;{who}{detail} |{blank}")
    return lines


def _profile(by_backend: dict[str, dict[str, Any]]) -> list[str]:
    """Where credgraph's CPU per lookup goes under load (``bench.profile``), by stage."""
    found = {b: by_backend[str(b)]["profile"] for b in BACKENDS
             if "profile" in by_backend.get(str(b), {})}  # fmt: skip
    if not found:
        return []
    stages = list(dict.fromkeys(s for f in found.values() for s in f["by_stage"]))
    lines = [
        "Where credgraph's CPU per lookup goes, sampled by py-spy under the same 32 clients "
        "(`python -m bench.profile`; each sample counts for the innermost stage on its stack):",
        "",
        "| stage | " + " | ".join(f"{BACKEND_NAMES[b]}, ms" for b in found) + " |",
        "|" + " --- |" * (len(found) + 1),
    ]
    for stage in stages:
        cells = [_number(f["by_stage"].get(stage)) for f in found.values()]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    total = [_number(f["cpu_ms_per_request"]) for f in found.values()]
    lines += ["| **all** | " + " | ".join(total) + " |", ""]
    return lines


def _plots(results: Results) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    load = (results.get("load") or {}).get(str(Backend.ARCADEDB))
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
        ax.set_title(
            f"Latency under load on {BACKEND_NAMES[Backend.ARCADEDB]}: "
            f"{load.get('concurrency', 32)} clients, 100k entities"
        )
        fig.tight_layout()
        fig.savefig(HERE / "report-latency.png", dpi=110)
        plt.close(fig)
        made.append("report-latency.png")
    lines: dict[Backend, list[tuple[int, float]]] = {}
    for backend in BACKENDS:
        points = lines.setdefault(backend, [])
        for name in ("scaling", "scoring"):
            data = (results.get(name) or {}).get(str(backend)) or {}
            for f in data.get("figures", []):
                if f["name"].startswith("score --all at") and "first run" in f["name"]:
                    entities = int(f["name"].split(" at ")[1].split(" ")[0].replace(",", ""))
                    points.append((entities, float(f["value"])))
    if any(len(points) >= 2 for points in lines.values()):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for backend, points in lines.items():
            if len(points) >= 2:
                xs, ys = zip(*sorted(set(points)), strict=True)
                ax.plot(xs, ys, marker="o", label=f"score --all on {BACKEND_NAMES[backend]}")
        ax.axhline(
            SCORE_ALL_SECONDS,
            color="grey",
            linestyle="--",
            label=f"goal at 1M: {SCORE_ALL_SECONDS} s",
        )
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


def _previous() -> tuple[Results, list[str]]:
    """The committed report's sections and plots: a partial run keeps those it did not measure.
    (A report from before the second backend holds ArcadeDB's sections only.)"""
    path = HERE / "report.json"
    if not path.exists():
        return {}, []
    data: dict[str, Any] = json.loads(path.read_text())
    plots: list[str] = data.get("plots", [])
    if "results" in data:
        results: Results = data["results"]
        return results, plots
    old = {name: {str(Backend.ARCADEDB): section} for name, section in data["sections"].items()}
    return old, plots


def _measured(by_backend: dict[str, dict[str, Any]]) -> str:
    parts = []
    for b in BACKENDS:
        data = by_backend.get(str(b))
        if data is None:
            continue
        sizes = {k: v for k, v in data.items() if k in ("entities", "import_seconds", "seconds")}
        text = f"{BACKEND_NAMES[b]} measured {data.get('measured_at', '(time not recorded)')}"
        if sizes:
            text += " (" + ", ".join(f"{k} {_number(v)}" for k, v in sizes.items()) + ")"
        parts.append(text)
    return "; ".join(parts) + "."


def write() -> Path:
    """Write the report from this run's results; sections (and backends) it did not run come
    from the last report, with their own measurement times, so ``--bystander-only`` updates one
    section and ``--backend neo4j`` one backend."""
    previous, old_plots = _previous()
    results: Results = {}
    for name, _ in SECTIONS:
        for backend in BACKENDS:
            data = _load(name, backend) or previous.get(name, {}).get(str(backend))
            if data is not None:
                results.setdefault(name, {})[str(backend)] = data
    machine: dict[str, Any] = next(
        (r["machine"] for by in results.values() for r in by.values() if "machine" in r), {}
    )
    lines = ["# credgraph benchmark report", "", READING]
    lines += [
        f"Machine: {machine.get('cpus', '?')} CPUs ({machine.get('processor', '?')}), "
        f"{machine.get('platform', '?')}, Python {machine.get('python', '?')}.",
        "",
    ]
    for name, title in SECTIONS:
        by_backend = results.get(name)
        if not by_backend:
            continue
        lines += [f"## {title}", "", _measured(by_backend), ""]
        lines += [*_rows(by_backend), ""]
        if name == "peer":
            lines += _profile(by_backend)
    plots = _plots(results)
    plots += [p for p in old_plots if p not in plots and (HERE / p).exists()]
    for plot in plots:
        lines += [f"![{plot}]({plot})", ""]
    (HERE / "report.md").write_text("\n".join(lines))
    twin = {
        "machine": machine,
        "results": {
            name: {
                backend: {k: v for k, v in data.items() if k != "latencies"}
                for backend, data in by_backend.items()
            }
            for name, by_backend in results.items()
        },
        "plots": plots,
    }
    (HERE / "report.json").write_text(json.dumps(twin, indent=2, ensure_ascii=False, default=str))
    return HERE / "report.md"


if __name__ == "__main__":
    print(f"wrote {write()}")
