"""The whole-graph pass agrees with the engine, entity by entity, on a generated graph."""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import date

import numpy as np
import pytest

from cli.synthetic import Spec, company, company_links, person, records
from graph.identifiers import is_id_number
from scoring.arrays import STATUS_CODES, GraphData
from scoring.batch import evaluate_all, propagate
from scoring.engine import Reach, RecordFact, Step, evaluate
from scoring.scheme import load_schemes

SCHEMES = load_schemes()
AS_OF = date(2026, 11, 1)


def build(
    spec: Spec,
) -> tuple[GraphData, list[tuple[str, str, str, float | None]], dict[str, list[RecordFact]]]:
    keys: list[str] = []
    companies: list[bool] = []
    places: dict[str, str] = {}
    for i in range(spec.companies):
        row = company(spec, i)
        keys.append(row["uscc"])
        companies.append(True)
        places[row["uscc"]] = row["registration_authority"]
    for i in range(spec.persons):
        row = person(spec, i)
        if is_id_number(row["id_number"]):
            keys.append(row["id_number"])
            companies.append(False)
    index = {k: n for n, k in enumerate(keys)}
    links = [
        (link["from"], link["to"], link["rel"], link.get("stake"))
        for i in range(spec.companies)
        for link in company_links(spec, i)
        if link["from"] in index and link["to"] in index
    ]
    facts: dict[str, list[RecordFact]] = defaultdict(list)
    statuses = ["active"] * 8 + ["disputed", "removed"]
    for n, key in enumerate(keys):
        kind = "company" if key in places else "person"
        for row in records(spec, kind, n, key, "北京市"):
            facts[key].append(
                RecordFact(
                    row["record_id"],
                    row["code"],
                    row["category"],
                    row["polarity"],
                    row["severity"],
                    date.fromisoformat(row["decided_on"]),
                    statuses[zlib.crc32(row["record_id"].encode()) % 10],
                )
            )
    flat = [(k, f) for k, fs in facts.items() for f in fs]
    data = GraphData.of(
        keys=keys,
        is_company=np.array(companies),
        link_from=np.array([index[a] for a, _, _, _ in links], dtype=np.int64),
        link_to=np.array([index[b] for _, b, _, _ in links], dtype=np.int64),
        link_rel=[r for _, _, r, _ in links],
        link_stake=np.array([np.nan if s is None else s for _, _, _, s in links]),
        record_ids=[f.record_id for _, f in flat],
        record_entity=np.array([index[k] for k, _ in flat], dtype=np.int64),
        record_kinds=[(f.code, f.category, f.severity, f.polarity) for _, f in flat],
        record_decided=np.array([f.decided_on.isoformat() for _, f in flat], dtype="datetime64[D]"),
        record_status=np.array([STATUS_CODES[f.status] for _, f in flat], dtype=np.int64),
    )
    return data, links, facts


def trails(
    subject: str, links: list[tuple[str, str, str, float | None]]
) -> list[tuple[str, tuple[Step, ...]]]:
    """Every path of one or two distinct links from another entity to ``subject``."""
    touching: dict[str, list[int]] = defaultdict(list)
    for n, (a, b, _, _) in enumerate(links):
        touching[a].append(n)
        touching[b].append(n)

    def hop(n: int, here: str) -> tuple[str, Step]:
        a, b, rel, stake = links[n]
        there = b if here == a else a
        # Walking from ``there`` towards ``here``: forward when that follows the arrow.
        return there, Step(rel, "forward" if there == a else "backward", here, stake)

    found: list[tuple[str, tuple[Step, ...]]] = []
    for n in touching[subject]:
        first, step1 = hop(n, subject)
        if first != subject:
            found.append((first, (step1,)))
        for m in touching[first]:
            if m == n:
                continue
            second, step2 = hop(m, first)
            if second != subject:
                found.append((second, (step2, step1)))
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_batch_agrees_with_the_engine(seed: int) -> None:
    data, links, facts = build(Spec(companies=150, persons=250, seed=seed))
    for scheme in SCHEMES.values():
        result = evaluate_all(data, scheme, AS_OF)
        checked = 0
        for i, key in enumerate(data.keys):
            if not result.scored[i]:
                continue
            reaches = [
                Reach(src, f, path) for src, path in trails(key, links) for f in facts.get(src, [])
            ]
            score = evaluate(key, facts.get(key, []), reaches, scheme, AS_OF)
            assert result.values[i] == pytest.approx(score.value, abs=0.011), key
            assert result.levels[i] == score.level or abs(score.value - round(score.value)) < 0.02
            assert bool(result.blacklisted[i]) == score.blacklisted
            assert result.reasons_for(i) == list(score.blacklist_reasons)
            assert result.reasons.get(i, []) == list(score.blacklist_reasons)
            checked += 1
        assert checked > 100


def test_batch_propagate_removes_returning_risk() -> None:
    import scipy.sparse as sp

    # a <-> b both ways with weight 0.5: a's risk comes back to a over two hops; it must not count.
    w = sp.csr_matrix(np.array([[0.0, 0.5], [0.5, 0.0]]))
    risk = np.array([-10.0, 0.0])
    assert propagate(w, risk, 2, 0.5).tolist() == [0.0, -5.0]
    assert propagate(w, risk, 1, 0.5).tolist() == [0.0, -5.0]
    chain = sp.csr_matrix(np.array([[0, 0.5, 0], [0, 0, 0.5], [0, 0, 0]]))
    assert propagate(chain, np.array([-8.0, 0, 0]), 2, 0.5).tolist() == [0.0, -4.0, -1.0]
