"""``usecases.registry`` on the real graph: each write audited with its subjects, refusals that
name the field, a new record heard by its watchers once, and rescoring around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.driver import Graph
from graph.repositories import state, watch
from tests.factories import company_row, id_number, link_row, person_row, record_row, uscc
from tests.usecase_helpers import REGISTRAR, RELYING_PARTY, last_entry, row, session
from usecases import registry, watching
from usecases.errors import Refusal

C, C2, P = uscc(1401), uscc(1402), id_number(1401)


async def _world(graph: Graph) -> None:
    s = session(graph)
    for data in (company_row(1401), company_row(1402)):
        await registry.upsert_company(s, row(data), "test")
    await registry.upsert_person(s, row(person_row(1401)), "test")
    await registry.link_entities(s, row(link_row("LEGAL_REPRESENTATIVE_OF", P, C)), "test")


async def test_registry_upsert_is_audited_with_its_subject(clean_graph: Graph) -> None:
    s = session(clean_graph)
    first = await registry.upsert_company(s, row(company_row(1401)), "test")
    again = await registry.upsert_company(s, row(company_row(1401, name="改名公司")), "test")
    assert (first.created, again.created) == (True, False)
    assert again.stored.name == "改名公司"
    entry = await last_entry(clean_graph)
    assert (entry.operation, entry.kind, entry.subjects) == ("upsertCompany", "write", (C,))
    assert (entry.key_id, entry.role) == (REGISTRAR.key_id, "registrar")
    assert (await state.verify(clean_graph)).intact


async def test_registry_refusal_names_the_field_and_writes_nothing(clean_graph: Graph) -> None:
    s = session(clean_graph)
    with pytest.raises(Refusal) as bad:
        await registry.upsert_company(s, row(company_row(1401, uscc="not a code")), "test")
    assert bad.value.field == "uscc"
    assert await last_entry_or_none(clean_graph) is None


async def last_entry_or_none(graph: Graph) -> object:
    try:
        return await last_entry(graph)
    except ValueError:
        return None


async def test_registry_unknown_subject_is_refused_and_audited_as_refused(
    clean_graph: Graph,
) -> None:
    await _world(clean_graph)
    stranger = id_number(1499)
    with pytest.raises(Refusal) as refused:
        await registry.add_record(session(clean_graph), row(record_row("U-1", stranger)), "test")
    assert refused.value.field == "subject"
    assert stranger in refused.value.reason
    entry = await last_entry(clean_graph)
    assert (entry.operation, entry.kind, entry.subjects) == ("addRecord", "refused", ())


async def test_registry_record_of_another_subject_is_a_structured_refusal(
    clean_graph: Graph,
) -> None:
    await _world(clean_graph)
    s = session(clean_graph)
    await registry.add_record(s, row(record_row("R-1", C)), "test")
    with pytest.raises(Refusal) as refused:
        await registry.add_record(s, row(record_row("R-1", C2)), "test")
    assert refused.value.field == "record_id"
    assert refused.value.reason == f"already recorded for another subject ({C})"


async def test_registry_new_record_is_heard_once_and_rescores_around_it(
    clean_graph: Graph,
) -> None:
    await _world(clean_graph)
    await watching.watch(session(clean_graph, RELYING_PARTY), C, {"id": C})
    since = datetime.now(UTC) - timedelta(minutes=1)
    s = session(clean_graph)
    added = await registry.add_record(s, row(record_row("R-2", C)), "test")
    assert added.created
    assert added.rescored >= 2  # the company and its legal representative, at least
    amended = await registry.add_record(s, row(record_row("R-2", C, penalty="罚款")), "test")
    assert not amended.created
    found = await watch.events_since(clean_graph, [C], since)
    kinds = [e.kind for e in found if e.record_id == "R-2"]
    assert kinds == [watch.EventKind.RECORD_ADDED]
