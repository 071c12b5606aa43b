"""Search relevance on generated Chinese names, on the backend under test (``make test`` runs it on
both): a full name matches as a sequence (never on a shared surname alone) and ranks its holders
and the companies they represent first; one character is a prefix; a fragment of a company's name
finds it. What each answer must hold is worked out from the generated data, not written down."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from tests.conftest import make_server, settings_for
from tests.factories import api_key, bearer, id_number, import_rows, link_row, migrate, uscc

SURNAMES = "沈王李陈刘杨赵周"
GIVEN = "明雨超华伟芳军丽强磊洋艳勇杰娟涛"
CITIES = ["杭州", "苏州", "成都", "武汉", "西安", "南京"]
WORDS = "鼎盛恒通瑞丰远达信安嘉和润泰"
TRADES = ["建材", "物流", "食品", "科技", "贸易", "制药"]


def generated() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """People (id number -> name) and companies (USCC -> (name, representative's id number))."""
    rng = random.Random(19)
    people: dict[str, str] = {}
    names: set[str] = set()
    n = 0
    while len(people) < 40:
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 1, 2))))
        n += 1
        if name in names and rng.random() < 0.8:
            continue  # a few namesakes, not many
        names.add(name)
        people[id_number(800 + n, born="19850505")] = name
    companies: dict[str, tuple[str, str]] = {}
    for i, holder in enumerate(rng.sample(sorted(people), 30)):
        for j in range(rng.choice((1, 2))):
            word = "".join(rng.sample(WORDS, 2))
            name = f"{rng.choice(CITIES)}{word}{rng.choice(TRADES)}有限公司"
            companies[uscc(900 + 2 * i + j)] = (name, holder)
    return people, companies


PEOPLE, COMPANIES = generated()


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "person", "id_number": number, "name": name, "profession": "clerk"}
        for number, name in PEOPLE.items()
    ]
    for n, (code, (name, _)) in enumerate(COMPANIES.items()):
        out.append(
            {
                "type": "company",
                "uscc": code,
                "name": name,
                "registration_number": f"330100{n:09d}",
                "status": "active",
            }
        )
    out += [link_row("LEGAL_REPRESENTATIVE_OF", rep, code) for code, (_, rep) in COMPANIES.items()]
    return out


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    server = make_server(tmp_path_factory.mktemp("relevance"))
    server.start()
    try:
        settings = settings_for(server)
        migrate(settings)
        import_rows(settings, rows(), tmp_path_factory.mktemp("relevance-rows"))
        key = api_key(settings, "investigator")
        with TestClient(create_app(settings), headers=bearer(key)) as client:
            client.app_settings = settings  # type: ignore[attr-defined]
            yield client
    finally:
        server.stop()


SEARCH = """query($q: String!, $kind: SearchKind, $after: String) {
  search(query: $q, kind: $kind, first: 100, after: $after) {
    totalCount excludedKinds pageInfo { hasNextPage endCursor }
    edges { node { matchedOn via entity { __typename name } } } } }"""


def answer(client: TestClient, q: str, kind: str = "ANY") -> list[tuple[str, str, str | None]]:
    """Every result, in order, as (kind, name, via), paging to the end."""
    out: list[tuple[str, str, str | None]] = []
    after = None
    while True:
        body = client.post(
            "/graphql", json={"query": SEARCH, "variables": {"q": q, "kind": kind, "after": after}}
        ).json()
        assert "errors" not in body, body
        page = body["data"]["search"]
        out += [
            (e["node"]["entity"]["__typename"], e["node"]["entity"]["name"], e["node"]["via"])
            for e in page["edges"]
        ]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(out)
            return out
        after = page["pageInfo"]["endCursor"]


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def matched_text(hit: tuple[str, str, str | None]) -> str:
    """What a hit matched: the representative's name for a match through one, else its name."""
    return hit[2] if hit[2] is not None else hit[1]


def full_names() -> list[str]:
    """Full names whose surname others share: the case a character-by-character match gets wrong."""
    names = sorted(set(PEOPLE.values()))
    shared = [n for n in names if sum(m[0] == n[0] for m in names) >= 3]
    assert len(shared) >= 6, "the generator should give surnames several holders"
    return shared[:: max(1, len(shared) // 8)]


@pytest.mark.parametrize("name", full_names())
def test_a_full_name_matches_as_a_sequence_and_ranks_its_holders_first(
    api: TestClient, name: str
) -> None:
    hits = answer(api, name)
    assert hits, name
    # Never a match on a shared character alone: what matched holds one of the name's pairs.
    for hit in hits:
        assert bigrams(matched_text(hit)) & bigrams(name), (name, hit)
    # Whoever holds the whole name, and the companies they represent, come before the rest.
    holds = [name in matched_text(hit) for hit in hits]
    assert holds == sorted(holds, reverse=True), (name, hits)
    people = {("Person", n, None) for n in PEOPLE.values() if name in n}
    represented = {
        ("Company", company, PEOPLE[rep])
        for company, rep in COMPANIES.values()
        if name in PEOPLE[rep] and name not in company
    }
    leading = set(hits[: sum(holds)])
    assert people <= leading, (name, people - leading)
    # A company that holds the name itself is listed once, as a NAME match; the rest through
    # their representative.
    assert {(k, n) for k, n, _ in represented} <= {(k, n) for k, n, _ in leading}
    assert hits[0][1] == name or hits[0][2] == name


@pytest.mark.parametrize("surname", sorted({n[0] for n in PEOPLE.values()})[:4])
def test_one_character_is_a_prefix(api: TestClient, surname: str) -> None:
    hits = answer(api, surname, "PERSON")
    expected = sorted(n for n in PEOPLE.values() if n.startswith(surname))
    starts = [hit[1].startswith(surname) for hit in hits]
    # Everyone with the surname, first; after them only names that hold it further in.
    assert sorted(hit[1] for hit in hits[: sum(starts)]) == expected
    assert starts == sorted(starts, reverse=True)
    assert all(surname in hit[1] for hit in hits)


def test_one_character_of_a_company_name_is_a_prefix_too(api: TestClient) -> None:
    city = CITIES[0][0]  # 杭
    hits = answer(api, city, "COMPANY")
    expected = sorted(n for n, _ in COMPANIES.values() if n.startswith(city))
    assert expected
    assert sorted(hit[1] for hit in hits[: len(expected)]) == expected


@pytest.mark.parametrize("index", [0, 7, 19])
def test_a_fragment_of_a_company_name_finds_it(api: TestClient, index: int) -> None:
    name = sorted(n for n, _ in COMPANIES.values())[index]
    fragment = name[2:6]  # past the city: its word and trade
    hits = answer(api, fragment, "COMPANY")
    holding = [hit for hit in hits if fragment in hit[1]]
    assert ("Company", name, None) in holding
    assert hits[: len(holding)] == holding
    for hit in hits:
        assert bigrams(matched_text(hit)) & bigrams(fragment), (fragment, hit)


def test_the_public_is_told_people_are_left_out(api: TestClient) -> None:
    name = sorted(PEOPLE.values())[0]
    with TestClient(create_app(api.app_settings)) as public:  # type: ignore[attr-defined]
        body = public.post(
            "/graphql", json={"query": SEARCH, "variables": {"q": name, "kind": "ANY"}}
        ).json()
    page = body["data"]["search"]
    assert page["excludedKinds"] == ["PERSON"]
    assert all(e["node"]["entity"]["__typename"] == "Company" for e in page["edges"])
    full = api.post("/graphql", json={"query": SEARCH, "variables": {"q": name}}).json()
    assert full["data"]["search"]["excludedKinds"] == []
    assert any(
        e["node"]["entity"]["__typename"] == "Person" for e in full["data"]["search"]["edges"]
    )


@pytest.mark.parametrize("made_up", ["不存在的公司XYZ", "不存在的有限公司", "司马佑"])
def test_a_made_up_name_finds_nothing(api: TestClient, made_up: str) -> None:
    # Words every company name has (有限公司) are no match for a name nobody holds.
    assert answer(api, made_up) == []


@pytest.mark.parametrize("index", [3, 11])
def test_one_wrong_character_still_finds_the_name(api: TestClient, index: int) -> None:
    name = sorted(n for n, _ in COMPANIES.values())[index]
    typo = name[:3] + ("错" if name[3] != "错" else "误") + name[4:]
    hits = answer(api, typo, "COMPANY")
    assert hits[0][1] == name or ("Company", name, None) in hits[:3], (typo, hits[:5])
