"""``usecases.investigation`` and ``usecases.eligibility`` on the real graph: the risk ranking
(nearest, then blacklisted, then the gravest) and an eligibility decision with its reasons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from graph.driver import Graph
from graph.models import Entity, EntityKind, Severity
from graph.repositories.entities import entities_by_key
from tests.factories import company_row, id_number, link_row, person_row, record_row, uscc
from tests.usecase_helpers import row, session
from usecases import eligibility, investigation, registry
from usecases.errors import BadArgument

A, B, C = uscc(1601), uscc(1602), uscc(1603)
P = id_number(1601)


async def _world(graph: Graph) -> dict[str, Entity]:
    s = session(graph)
    for n in (1601, 1602, 1603):
        await registry.upsert_company(s, row(company_row(n)), "test")
    await registry.upsert_person(s, row(person_row(1601)), "test")
    for company in (A, B, C):
        await registry.link_entities(
            s, row(link_row("LEGAL_REPRESENTATIVE_OF", P, company)), "test"
        )
    minor = {"code": "FALSE_ANNUAL_REPORT", "category": "administrative", "severity": "minor"}
    # Minor records count three months: both of C's still do.
    newer, older = (str(date.today() - timedelta(days=d)) for d in (10, 20))
    await registry.add_record(s, row(record_row("I-C1", C, decided_on=older, **minor)), "test")
    await registry.add_record(s, row(record_row("I-C2", C, decided_on=newer, **minor)), "test")
    await registry.add_record(s, row(record_row("I-B1", B, decided_on=newer)), "test")
    found = await entities_by_key(graph, [A, B, C])
    return {e.key: e for e in found if e is not None}


async def test_investigation_risk_scan_ranks_the_gravest_first(clean_graph: Graph) -> None:
    entities = await _world(clean_graph)
    hits, parties = await investigation.risk_scan(session(clean_graph), entities[A], 2, 10)
    assert [h.key for h in hits] == [B, C]  # both two links away; B's record is the graver
    b, c = hits
    assert (b.distance, b.worst, b.counting) == (2, Severity.SERIOUS, ("I-B1",))
    assert (c.worst, c.counting) == (Severity.MINOR, ("I-C2", "I-C1"))  # newest first
    assert set(parties.entities) == {B, C}
    with pytest.raises(BadArgument) as far:
        await investigation.risk_scan(session(clean_graph), entities[A], 9, 10)
    assert (far.value.field, far.value.reason) == ("hops", "must be between 1 and 3, got 9")


async def test_investigation_paths_are_ranked_by_risk_within_a_length(clean_graph: Graph) -> None:
    entities = await _world(clean_graph)
    s = session(clean_graph)
    paths, parties = await investigation.risk_paths(s, entities[B], entities[C], 4, None, 5)
    assert [p.keys for p in paths] == [(B, P, C)]
    assert paths[0].risk == round(sum(parties.risk(k) for k in (B, P, C)), 6)
    assert parties.risk(B) > 0  # its judgment took points off its stored score
    assert parties.risk("not in the graph") == 0.0


async def test_eligibility_restriction_in_force_names_its_records(clean_graph: Graph) -> None:
    entities = await _world(clean_graph)
    decision = await eligibility.decide_eligibility(
        session(clean_graph), B, EntityKind.COMPANY, "bank_loan", None, None
    )
    assert decision.scheme.id == "enterprise"
    level = decision.score.level
    assert decision.in_force is (level in ("C", "D"))
    assert decision.allowed is not decision.in_force
    assert decision.records_behind == ("I-B1",)
    if not decision.in_force:
        assert decision.reasons == (f"level {level} does not set it",)
    with pytest.raises(BadArgument) as unknown:
        await eligibility.decide_eligibility(
            session(clean_graph), B, EntityKind.COMPANY, "free_lunch", None, None
        )
    assert unknown.value.field == "consequence"
    assert "enterprise has no FREE_LUNCH" in unknown.value.reason
    assert entities[B].kind is EntityKind.COMPANY
