"""Identity numbers cannot be guessed out: a relying party gives the number and the name, gets
the person or null, and past its miss budget its person lookups are refused, however the
guesses arrive (aliases, batches, concurrent requests, WebSocket, search)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from config.settings import Settings
from graph.identifiers import ric_check_character
from tests.conftest import settings_for
from tests.factories import api_key, bearer, import_rows, person_row

NAME = "欧阳猜测"
BUDGET = 20


def candidates(real: str, count: int) -> list[str]:
    """Numbers that differ from ``real`` only in the birth date the mask hides."""
    found: list[str] = []
    day = 1
    while len(found) < count:
        first17 = f"{real[:6]}1981{(day // 28) % 12 + 1:02d}{day % 28 + 1:02d}{real[14:17]}"
        number = first17 + ric_check_character(first17)
        if number != real:
            found.append(number)
        day += 1
    return found


@pytest.fixture(scope="module")
def world(
    graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, str]]:
    settings = settings_for(graph_server, lookup_misses=BUDGET)
    row = person_row(711, name=NAME)
    import_rows(settings, [row], tmp_path_factory.mktemp("lookups"))
    yield settings, row["id_number"]


def lookup(number: str, name: str = NAME, alias: str = "p") -> str:
    return f'{alias}: person(idNumber: "{number}", name: "{name}") {{ name idNumber }}'


def audit_misses(client: TestClient, auditor: dict[str, str], key: dict[str, str]) -> int:
    """The key's audited person reads among the newest 100 audit entries."""
    key_id = key["Authorization"].split("_")[1]
    query = "{ auditLog(first: 100) { edges { node { operation kind keyId } } } }"
    body = client.post("/graphql", json={"query": query}, headers=auditor).json()
    return sum(
        1
        for e in body["data"]["auditLog"]["edges"]
        if e["node"]["operation"] == "person" and e["node"]["keyId"] == key_id
    )


def test_a_match_needs_the_number_and_the_name(world: tuple[Settings, str]) -> None:
    settings, real = world
    rp = bearer(api_key(settings, "relying_party", name="bank desk"))
    with TestClient(create_app(settings)) as client:

        def ask(query: str) -> dict[str, Any]:
            body: dict[str, Any] = client.post("/graphql", json={"query": query}, headers=rp).json()
            return body

        found = ask("{ " + lookup(real) + " }")
        assert found["data"]["p"] == {"name": NAME, "idNumber": real[:6] + "********" + real[-4:]}
        # A wrong name and a wrong number read alike: null, nothing more.
        wrong_name = ask("{ " + lookup(real, "欧阳别人") + " }")
        wrong_number = ask("{ " + lookup(candidates(real, 1)[0]) + " }")
        assert wrong_name == wrong_number == {"data": {"p": None}}
        missing = ask(f'{{ person(idNumber: "{real}") {{ name }} }}')
        assert missing["errors"][0]["message"].startswith("name: required with idNumber")
        # Search by a whole number is for roles that see whole numbers only.
        searched = ask(f'{{ search(query: "{real}", kind: PERSON) {{ totalCount }} }}')
        assert searched["data"] == {"search": None}
        assert "needs the role" in searched["errors"][0]["message"]
        # An investigator sees numbers whole: no name needed, no budget.
        inv = bearer(api_key(settings, "investigator", name="desk"))
        body = client.post(
            "/graphql", json={"query": f'{{ person(idNumber: "{real}") {{ idNumber }} }}'},
            headers=inv,
        ).json()  # fmt: skip
        assert body["data"]["person"]["idNumber"] == real


def test_150_guesses_a_request_confirm_nothing(world: tuple[Settings, str]) -> None:
    settings, real = world
    rp = bearer(api_key(settings, "relying_party", name="guesser"))
    auditor = bearer(api_key(settings, "auditor", name="audit"))
    guesses = candidates(real, 149)
    guesses.insert(120, real)  # the right number is among them, after the budget is spent
    with TestClient(create_app(settings)) as client:
        batch = [
            {"query": "{ " + " ".join(lookup(n, alias=f"g{i}") for i, n in
                                       enumerate(guesses[op * 15:(op + 1) * 15])) + " }"}
            for op in range(10)
        ]  # fmt: skip
        answer = client.post("/graphql", json=batch, headers=rp)
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) > 60
        assert "missed 20 person lookups" in answer.json()["reason"]
        assert NAME not in answer.text and real not in answer.text
        # Later lookups by the same key are refused, the right one included; another key is not.
        again = client.post("/graphql", json={"query": "{ " + lookup(real) + " }"}, headers=rp)
        assert again.status_code == 429
        other = bearer(api_key(settings, "relying_party", name="honest"))
        fine = client.post("/graphql", json={"query": "{ " + lookup(real) + " }"}, headers=other)
        assert fine.json()["data"]["p"]["name"] == NAME
        # Every miss was audited, and no more misses were let through than the budget.
        assert audit_misses(client, auditor, rp) == BUDGET


def test_concurrent_guessers_share_the_budget(world: tuple[Settings, str]) -> None:
    settings, real = world
    rp = bearer(api_key(settings, "relying_party", name="swarm"))
    guesses = candidates(real, 40)
    with TestClient(create_app(settings)) as client:

        def guess(number: str) -> tuple[int, Any]:
            response = client.post("/graphql", json={"query": "{ " + lookup(number) + " }"},
                                   headers=rp)  # fmt: skip
            return response.status_code, response.json()

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(guess, guesses))
        statuses = [status for status, _ in answers]
        assert statuses.count(200) == BUDGET and statuses.count(429) == len(guesses) - BUDGET
        assert all(body["data"]["p"] is None for status, body in answers if status == 200)
        # Over WebSocket the same key is refused as well.
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": rp})
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe",
                          "payload": {"query": "{ " + lookup(real) + " }"}})  # fmt: skip
            message = ws.receive_json()
            assert message["type"] == "next"
            assert message["payload"]["data"] == {"p": None}
            assert "missed 20 person lookups" in message["payload"]["errors"][0]["message"]
