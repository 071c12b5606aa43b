"""The whole-graph pass on Spark (local mode, a real JVM) gives exactly the scipy pass's scores:
every scored entity's value to the last bit, level, blacklist flag and reasons, on generated
graphs; and ``credgraph score --all --engine spark`` stores exactly the snapshots the scipy pass
stores on the same graph."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli.synthetic import Spec
from scoring.arrays import STATUS_NAMES, GraphData
from scoring.batch import evaluate_all
from scoring.scheme import load_schemes
from tests.test_scoring_batch import build

pyspark = pytest.importorskip("pyspark")
# py4j (the bridge to Spark's JVM) leaves its sockets to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SCHEMES = load_schemes()
AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from jobs.spark_score import session

    started = session("local[2]", app="credgraph tests")
    try:
        yield started
    finally:
        started.stop()


def write_tables(data: GraphData, folder: Path) -> None:
    """``data`` as the export writes it (``graph.repositories.export``)."""
    for name in ("entities", "links", "records"):
        (folder / name).mkdir(parents=True)
    with (folder / "entities" / "part-0.json").open("w") as out:
        for key, company in zip(data.keys, data.is_company.tolist(), strict=True):
            out.write(json.dumps({"key": key, "company": company}) + "\n")
    with (folder / "links" / "part-0.json").open("w") as out:
        for a, b, rel, stake in zip(
            data.link_from.tolist(), data.link_to.tolist(), data.link_rel.tolist(),
            data.link_stake.tolist(), strict=True,
        ):  # fmt: skip
            stake = -1.0 if np.isnan(stake) else stake
            out.write(
                json.dumps(
                    {"start": data.keys[a], "end": data.keys[b], "rel": data.rel_names[rel],
                     "stake": stake}
                ) + "\n"
            )  # fmt: skip
    with (folder / "records" / "part-0.json").open("w") as out:
        for i, rid in enumerate(data.record_ids):
            code, category, severity, polarity = data.kinds[int(data.record_kind[i])]
            out.write(
                json.dumps(
                    {
                        "id": rid,
                        "subject": data.keys[int(data.record_entity[i])],
                        "code": code, "category": category, "severity": severity,
                        "polarity": polarity,
                        "status": STATUS_NAMES[int(data.record_status[i])],
                        "decided": str(data.record_decided[i]),
                    }
                ) + "\n"
            )  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
def test_spark_scores_exactly_as_the_scipy_pass(spark: Any, tmp_path: Path, seed: int) -> None:
    from jobs.spark_score import read_tables
    from scoring.spark_pass import score_scheme

    data, _, _ = build(Spec(companies=600, persons=900, seed=seed))
    write_tables(data, tmp_path)
    entities, links, records = read_tables(spark, str(tmp_path))
    for scheme in SCHEMES.values():
        expected = evaluate_all(data, scheme, AS_OF)
        rows = {
            row.key: row
            for row in score_scheme(spark, entities, links, records, scheme, AS_OF).collect()
        }
        scored = np.flatnonzero(expected.scored)
        assert len(rows) == len(scored)
        blacklisted = moved = 0
        for i in scored.tolist():
            row = rows[data.keys[i]]
            assert row.value == float(expected.values[i]), data.keys[i]  # the same double
            assert row.level == expected.level(i)
            assert row.blacklisted == bool(expected.blacklisted[i])
            assert list(row.reasons) == expected.reasons_for(i)
            blacklisted += row.blacklisted
            moved += row.value != scheme.base
        # The graphs exercise what is compared: blacklists, moved scores.
        assert blacklisted > 5 and moved > 100


SNAPSHOTS = """
MATCH (s:ScoreSnapshot) WHERE s.latest
RETURN s.subjectScheme AS key, s.snapshotId AS id, s.value AS value, s.level AS level,
       s.blacklisted AS blacklisted, s.blacklistReasons AS reasons
"""


def stored(server: Any) -> dict[str, tuple[Any, ...]]:
    """Each subject and scheme's latest snapshot: its id, value, level, flag and reasons."""
    from tests.test_faults import graph_state

    (rows,) = graph_state(server, SNAPSHOTS)
    return rows


def test_score_all_on_spark_stores_what_the_scipy_pass_stores(
    fresh_server: Any, tmp_path: Path
) -> None:
    import subprocess

    from cli.shards import generate
    from tests.test_cli import CREDGRAPH, env_for, run

    generate(Spec(companies=300, persons=500, seed=5), tmp_path / "data")
    env = env_for(fresh_server)
    # 3: the generator writes a few rows the import must reject, to a rejects file
    assert run(["import", str(tmp_path / "data")], env).returncode in (0, 3)
    on_spark = subprocess.run(
        [*CREDGRAPH, "score", "--all", "--engine", "spark", "--as-of", "2026-11-01",
         "--spark-dir", str(tmp_path / "spark")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert on_spark.returncode == 0, on_spark.stderr[-2000:]
    assert (tmp_path / "spark" / "tables" / "records").is_dir()  # the export the job read
    first = stored(fresh_server)
    assert len(first) > 500
    assert any(row[3] for row in first.values())  # some blacklisted, with their reasons
    # The scipy pass on the same graph and day finds every stored score right: it writes none.
    on_scipy = run(["score", "--all", "--as-of", "2026-11-01"], env)
    assert on_scipy.returncode == 0, on_scipy.stderr
    assert stored(fresh_server) == first
