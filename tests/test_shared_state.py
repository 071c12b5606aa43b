"""State shared across workers through a real Redis (``CREDGRAPH_REDIS_URL``): two apps on one
graph stand for two workers (or two hosts) behind a load balancer. A key's rate, cost budget and
person-lookup misses hold in total, not per worker, under concurrent requests; a watch event is
read once per worker and reaches the subscribers of both; a revoked key is refused by both at
once; and a Redis that stops answering leaves each worker limiting on its own."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from strawberry import relay

from api.app import create_app
from api.watch_hub import WatchHub
from backend.local import LocalServer
from backend.redis_server import RedisServer
from config.settings import Settings
from graph.driver import Graph
from graph.migrate import apply_migrations, load_migrations
from graph.notices import Channel, LocalNotices, RedisNotices
from graph.repositories import watch as watches
from tests.conftest import settings_for
from tests.factories import api_key, id_number, import_rows, person_row, uscc
from tests.test_cli import env_for, run
from usecases import events

NAME = "李七一二"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@contextlib.contextmanager
def workers(settings: Settings, n: int = 2) -> Iterator[list[TestClient]]:
    """``n`` apps on the same settings: workers that share nothing but the graph and Redis."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(TestClient(create_app(settings))) for _ in range(n)]


def spread(clients: list[TestClient], bodies: list[Any], headers: dict[str, str]) -> list[Any]:
    """Post every body at once (20 threads), round-robin over the workers."""

    def post(i: int) -> Any:
        return clients[i % len(clients)].post("/graphql", json=bodies[i], headers=headers)

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(post, range(len(bodies))))


def test_a_keys_rate_holds_in_total_across_workers(
    graph_server: LocalServer, redis_url: str
) -> None:
    settings = settings_for(graph_server, rate_limit=20, redis_url=redis_url)
    key = bearer(api_key(settings, "investigator", name="two workers"))
    with workers(settings) as clients:
        answers = spread(clients, [{"query": "{ serviceVersion }"}] * 40, key)
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 20 and codes.count(429) == 20, codes
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Without Redis each worker holds the limit alone: the same 40 requests all pass.
    alone = settings_for(graph_server, rate_limit=20)
    with workers(alone) as clients:
        answers = spread(clients, [{"query": "{ serviceVersion }"}] * 40, key)
    assert [a.status_code for a in answers].count(200) == 40


def test_a_keys_cost_budget_holds_in_total_across_workers(
    graph_server: LocalServer, redis_url: str
) -> None:
    ids = [str(relay.GlobalID("Company", uscc(n))) for n in range(7400, 7500)]
    # About 15,000: within one request's budget, not twice within a minute's.
    three = (
        "query($ids: [ID!]!) { "
        + " ".join(
            f"a{i}: nodes(ids: $ids) {{ ... on Company {{ name score {{ value }} }} }}"
            for i in range(3)
        )
        + " }"
    )
    heavy = {"query": three, "variables": {"ids": ids}}
    settings = settings_for(graph_server, cost_limit=20_000, redis_url=redis_url)
    key = bearer(api_key(settings, "investigator", name="costly"))
    with workers(settings) as (one, two):
        assert one.post("/graphql", json=heavy, headers=key).status_code == 200
        spent = two.post("/graphql", json=heavy, headers=key)
        assert spent.status_code == 429, spent.text
        assert "spent its cost budget of 20,000 a minute" in spent.json()["reason"]
        # Light requests still pass on both: the budget is in cost, not in requests.
        for client in (one, two):
            light = client.post("/graphql", json={"query": "{ serviceVersion }"}, headers=key)
            assert light.status_code == 200
    # Without Redis the second worker has a budget of its own.
    alone = settings_for(graph_server, cost_limit=20_000)
    with workers(alone) as (one, two):
        assert one.post("/graphql", json=heavy, headers=key).status_code == 200
        assert two.post("/graphql", json=heavy, headers=key).status_code == 200


@pytest.fixture(scope="module")
def person(graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    settings = settings_for(graph_server)
    row = person_row(712, name=NAME)
    import_rows(settings, [row], tmp_path_factory.mktemp("shared"))
    return str(row["id_number"])


def test_the_miss_budget_holds_in_total_across_workers(
    graph_server: LocalServer, redis_url: str, person: str
) -> None:
    budget = 6
    settings = settings_for(graph_server, lookup_misses=budget, redis_url=redis_url)
    guesser = bearer(api_key(settings, "relying_party", name="guesser on two"))
    guesses = [id_number(i, born="19910101") for i in range(24)]
    bodies = [
        {"query": f'{{ person(idNumber: "{n}", name: "{NAME}") {{ name }} }}'} for n in guesses
    ]
    with workers(settings) as clients:
        answers = spread(clients, bodies, guesser)
        missed = [a for a in answers if a.status_code == 200]
        assert len(missed) == budget, [a.status_code for a in answers]
        assert all(a.json()["data"]["person"] is None for a in missed)
        assert all(a.status_code == 429 for a in answers if a not in missed)
        # The right person is refused too now, on either worker; a match does not count.
        right = {"query": f'{{ person(idNumber: "{person}", name: "{NAME}") {{ name }} }}'}
        assert clients[1].post("/graphql", json=right, headers=guesser).status_code == 429
        honest = bearer(api_key(settings, "relying_party", name="honest on two"))
        for client in clients * 4:
            found = client.post("/graphql", json=right, headers=honest).json()
            assert found["data"]["person"]["name"] == NAME  # eight matches: none is a miss


def test_a_revoked_key_is_refused_by_every_worker_at_once(
    graph_server: LocalServer, redis_url: str
) -> None:
    settings = settings_for(graph_server, redis_url=redis_url)
    text = api_key(settings, "investigator", name="to revoke")
    key_id = text.split("_")[1]
    with workers(settings) as clients:
        for client in clients:  # each worker has checked it, and remembers it
            assert (
                client.post(
                    "/graphql", json={"query": "{ serviceVersion }"}, headers=bearer(text)
                ).status_code
                == 200
            )
        revoked = run(
            ["keys", "revoke", key_id], env_for(graph_server, CREDGRAPH_REDIS_URL=redis_url)
        )
        assert revoked.returncode == 0, revoked.stderr
        # The CLI's announcement reaches both workers well within the cache's 30 s.
        deadline = time.monotonic() + 10
        codes: list[int] = []
        while time.monotonic() < deadline:
            codes = [
                c.post(
                    "/graphql", json={"query": "{ serviceVersion }"}, headers=bearer(text)
                ).status_code
                for c in clients
            ]
            if codes == [401, 401]:
                break
            time.sleep(0.05)
        assert codes == [401, 401]


def test_limits_fall_back_to_each_worker_when_redis_stops(
    graph_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    settings = settings_for(graph_server, rate_limit=5, redis_url=redis.url)
    key = bearer(api_key(settings, "investigator", name="redis away"))
    try:
        with TestClient(create_app(settings)) as client:
            assert (
                client.post(
                    "/graphql", json={"query": "{ serviceVersion }"}, headers=key
                ).status_code
                == 200
            )
            redis.stop()
            codes = [
                client.post(
                    "/graphql", json={"query": "{ serviceVersion }"}, headers=key
                ).status_code
                for _ in range(8)
            ]
    finally:
        redis.stop()
    # Still served, and still limited: by the worker's own bucket of 5.
    assert codes.count(200) == 5 and codes.count(429) == 3, codes
    assert "Redis is not answering" in caplog.text


async def _graph(settings: Settings) -> Graph:
    graph = await Graph.connect(settings.graph_config())
    await apply_migrations(graph, load_migrations(settings.migrations_dir))
    return graph


async def _watched(graph: Graph, watcher: str, subject: str) -> None:
    from graph.driver import bound

    async with bound(graph) as tx:
        await tx.write(
            "MERGE (w:Watch {watchId: $id}) SET w.watcher = $watcher, w.subjectKey = $key, "
            "w.createdAt = $now",
            {"id": f"{watcher}/{subject}", "watcher": watcher, "key": subject,
             "now": datetime.now(UTC)},
        )  # fmt: skip


async def test_an_event_is_read_once_per_worker_and_reaches_every_subscriber(
    graph_server: LocalServer, redis_url: str
) -> None:
    settings = settings_for(graph_server, redis_url=redis_url)
    subject, other = uscc(7301), uscc(7302)
    writer, first, second = [await _graph(settings) for _ in range(3)]
    assert isinstance(first.notices, RedisNotices)
    await _watched(writer, "k7301", subject)
    await _watched(writer, "k7302-elsewhere", other)  # watched, by no subscriber of these workers
    # Two workers' hubs that never look by themselves: only a notice makes them read.
    hubs = [WatchHub(first, interval=3600), WatchHub(second, interval=3600)]
    runs = [asyncio.create_task(hub.run()) for hub in hubs]
    try:
        subscriptions = [await hub.subscribe("k7301") for hub in hubs for _ in range(25)]
        await asyncio.sleep(0.3)  # the hubs' listeners are subscribed to the channels
        written = await events.emit(
            writer, [watches.Event(watches.EventKind.RECORD_ADDED, subject, datetime.now(UTC))]
        )
        assert written == 1
        got = await asyncio.wait_for(
            asyncio.gather(*(s.queue.get() for s in subscriptions)), timeout=20
        )
        assert {event.subject_key for event in got if event} == {subject}
        assert len({event.event_id for event in got if event}) == 1
        # 50 subscribers, two workers: one read each, not one per subscriber.
        assert [hub.reads for hub in hubs] == [1, 1]
        # An event about a subject no subscriber here watches is not read at all.
        written = await events.emit(
            writer, [watches.Event(watches.EventKind.RECORD_ADDED, other, datetime.now(UTC))]
        )
        assert written == 1
        await asyncio.sleep(0.5)
        assert [hub.reads for hub in hubs] == [1, 1]
        assert all(s.queue.empty() for s in subscriptions)
    finally:
        for task in runs:
            task.cancel()
        for task in runs:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for graph in (writer, first, second):
            await graph.close()


async def test_without_redis_a_worker_polls_once_for_all_its_subscribers(
    graph_server: LocalServer,
) -> None:
    settings = settings_for(graph_server)
    subject = uscc(7303)
    graph = await _graph(settings)
    assert isinstance(graph.notices, LocalNotices)
    await _watched(graph, "k7303", subject)
    hub = WatchHub(graph, interval=0.2)
    runner = asyncio.create_task(hub.run())
    try:
        subscriptions = [await hub.subscribe("k7303") for _ in range(30)]
        await asyncio.sleep(1.0)
        polls = hub.reads
        assert 1 <= polls <= 10  # a read each 0.2 s for all thirty, not thirty a tick
        # Another process's event (no notice reaches this one) is found by the poll.
        other = Graph(graph.driver, graph.config, LocalNotices())
        await events.emit(
            other, [watches.Event(watches.EventKind.RECORD_ADDED, subject, datetime.now(UTC))]
        )
        await other.release()
        got = await asyncio.wait_for(
            asyncio.gather(*(s.queue.get() for s in subscriptions)), timeout=20
        )
        assert {event.subject_key for event in got if event} == {subject}
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await graph.close()


async def test_a_notice_waits_for_its_commit(graph_server: LocalServer, redis_url: str) -> None:
    """Listeners hear of a transaction's change only once it committed, and never of one that
    rolled back."""
    from graph.driver import bound

    settings = settings_for(graph_server, redis_url=redis_url)
    writer, listener = await _graph(settings), await _graph(settings)
    heard: list[list[str]] = []

    async def listen() -> None:
        async for payload in listener.notices.listen(Channel.WATCHES):
            heard.append(payload)

    task = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.3)
        with contextlib.suppress(RuntimeError):
            async with bound(writer) as tx:
                await tx.announce(Channel.WATCHES, ["rolled-back"])
                raise RuntimeError("the work failed")
        async with bound(writer) as tx:
            await tx.announce(Channel.WATCHES, ["committed"])
            await asyncio.sleep(0.3)
            assert heard == []  # not before the commit
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.05)
        assert heard == [["committed"]]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await writer.close()
        await listener.close()


def test_a_watch_event_reaches_subscribers_on_both_workers(
    graph_server: LocalServer,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.factories import company_row
    from tests.test_api_watch import ADD, EVENTS, WATCH, company_id, ok, record

    # The hubs do not look by themselves within the wait: only the announcement brings the event.
    monkeypatch.setattr("api.app.SAFETY_POLL", 60.0)  # past the 30 s this waits: no hang
    settings = settings_for(graph_server, redis_url=redis_url, allow_writes=True)
    import_rows(settings, [company_row(7310)], tmp_path)
    desk = api_key(settings, "investigator", name="desk on two")
    registrar = api_key(settings, "registrar", name="registry on two")
    with workers(settings) as clients, ThreadPoolExecutor(max_workers=2) as pool:
        ok(clients[0], WATCH, desk, id=company_id(clients[0], uscc(7310)))
        with contextlib.ExitStack() as sockets:
            connected = []
            for client in clients:
                ws = sockets.enter_context(
                    client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
                )
                ws.send_json(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {desk}"}}
                )
                assert ws.receive_json()["type"] == "connection_ack"
                ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
                connected.append(ws)
            time.sleep(0.5)  # both subscriptions have registered with their hubs
            added = ok(clients[0], ADD, registrar, input=record("SHARED-1", uscc(7310)))
            assert added["addRecord"]["__typename"] == "AddRecordSuccess"
            heard = [pool.submit(_first_record_added, ws) for ws in connected]
            got = [future.result(timeout=30) for future in heard]
    assert [event["record"] for event in got] == [{"recordId": "SHARED-1"}] * 2
    assert all(event["entity"]["name"] == "北京测试7310科技有限公司" for event in got)


def _first_record_added(ws: Any) -> dict[str, Any]:
    while True:
        message = ws.receive_json()
        assert message["type"] == "next", message
        event: dict[str, Any] = message["payload"]["data"]["watchEvents"]
        if event["kind"] == "RECORD_ADDED":
            return event


async def test_a_check_racing_a_revocation_does_not_remember_the_key(graph: Graph) -> None:
    """A worker that read the key just before its revocation committed, and heard the
    announcement before its check finished, refuses the key rather than remembering it."""
    from api.auth import Authenticator, BadKey
    from graph.repositories import keys

    created, text = await keys.create(graph, "racing", keys.Role.INVESTIGATOR, None)
    authenticator = Authenticator()
    assert (await authenticator.caller(graph, f"Bearer {text}")).key_id == created.key_id
    assert authenticator.forget([created.key_id]) == 1
    assert authenticator.remembered(f"Bearer {text}") is None
    # The graph still says the key is good (its revocation has not committed where this read).
    with pytest.raises(BadKey):
        await authenticator.caller(graph, f"Bearer {text}")


def test_a_revoked_keys_open_subscriptions_end_on_every_worker(
    graph_server: LocalServer, redis_url: str, tmp_path: Path
) -> None:
    from tests.factories import company_row
    from tests.test_api_watch import ADD, EVENTS, WATCH, company_id, ok, record

    settings = settings_for(graph_server, redis_url=redis_url, allow_writes=True)
    import_rows(settings, [company_row(7320)], tmp_path)
    desk = api_key(settings, "investigator", name="desk to revoke")
    registrar = api_key(settings, "registrar", name="registry for revoked")
    with workers(settings) as clients, ThreadPoolExecutor(max_workers=1) as pool:
        ok(clients[0], WATCH, desk, id=company_id(clients[0], uscc(7320)))
        with clients[1].websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {desk}"}}
            )
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
            time.sleep(0.5)
            heard = pool.submit(ws.receive_json)
            revoked = run(
                ["keys", "revoke", desk.split("_")[1]],
                env_for(graph_server, CREDGRAPH_REDIS_URL=redis_url),
            )
            assert revoked.returncode == 0, revoked.stderr
            try:
                message = heard.result(timeout=20)
            except TimeoutError:
                # Still subscribed: an event unblocks the reader, and the test fails.
                ok(clients[0], ADD, registrar, input=record("REVOKED-1", uscc(7320)))
                pytest.fail(f"the revoked key's subscription went on: {heard.result(timeout=60)}")
    # The subscription's last result: its error, coded, and then it completes.
    assert message["type"] == "next" and message["payload"]["data"] is None, message
    (error,) = message["payload"]["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == "watchEvents: the API key was revoked"
