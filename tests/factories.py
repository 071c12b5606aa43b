"""Valid identifiers and import rows for tests, built from small integers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph.identifiers import USCC_ALPHABET, ric_check_character, uscc_check_character


def uscc(n: int, *, region: str = "110105", valid: bool = True) -> str:
    """The n-th enterprise USCC in ``region`` (check character wrong when ``valid`` is False)."""
    body = ""
    value = n
    for _ in range(9):
        body = USCC_ALPHABET[value % 31] + body
        value //= 31
    first17 = "91" + region + body
    check = uscc_check_character(first17)
    if not valid:
        check = next(c for c in "0123456789" if c != check)
    return first17 + check


def id_number(n: int, *, region: str = "110105", born: str = "19800101") -> str:
    """The n-th valid identity number for someone born on ``born`` in ``region``."""
    first17 = f"{region}{born}{n % 1000:03d}"
    return first17 + ric_check_character(first17)


def company_row(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "company",
        "uscc": uscc(n),
        "name": f"北京测试{n}科技有限公司",
        "registration_number": f"110105{n:09d}",
        "address": f"北京市朝阳区建国路{n}号",
        "phone": "010-65000000",
        "status": "active",
        "founded_on": "2010-05-01",
        "registration_authority": "北京市朝阳区市场监督管理局",
        **extra,
    }


def person_row(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "id_number": id_number(n),
        "name": f"张{n}",
        "profession": "engineer",
        **extra,
    }


def link_row(rel: str, frm: str, to: str, **extra: Any) -> dict[str, Any]:
    return {"type": "link", "rel": rel, "from": frm, "to": to, **extra}


def record_row(record_id: str, subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "record_id": record_id,
        "subject": subject,
        "authority": "北京市朝阳区人民法院",
        "case_number": f"(2023)京0105执{record_id}号",
        "category": "judicial",
        "code": "JUDGMENT_DEFAULT",
        "polarity": "warning",
        "severity": "serious",
        "decided_on": "2023-03-15",
        "description": "有履行能力而拒不履行生效法律文书确定义务",
        "penalty": "限制高消费",
        **extra,
    }


def import_rows(settings: Any, rows: list[dict[str, Any]], folder: Path) -> None:
    """Import ``rows`` into the graph of ``settings`` through the real importer; none may fail."""
    import asyncio

    import orjson

    from graph.driver import Graph
    from ingest.importer import Importer

    async def run() -> None:
        graph = await Graph.connect(settings.graph_config())
        try:
            path = folder / "rows.jsonl"
            path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
            report = await Importer(graph).run([path])
            assert report.rejected == 0, path.with_name(path.name + ".rejects.jsonl").read_text()
        finally:
            await graph.close()

    asyncio.run(run())


def api_key(settings: Any, role: str, subject: str | None = None, name: str = "tests") -> str:
    """A new API key of ``role`` in the graph of ``settings`` (the full key text)."""
    import asyncio

    from graph.driver import Graph
    from graph.migrate import apply_migrations, load_migrations
    from graph.repositories import keys

    async def run() -> str:
        graph = await Graph.connect(settings.graph_config())
        try:
            await apply_migrations(graph, load_migrations(settings.migrations_dir))
            _, text = await keys.create(graph, name, keys.Role(role), subject)
            return text
        finally:
            await graph.close()

    return asyncio.run(run())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def migrate(settings: Any) -> None:
    """Apply every migration to the graph of ``settings`` (a fresh test server)."""
    import asyncio

    from graph.driver import Graph
    from graph.migrate import apply_migrations, load_migrations

    async def run() -> None:
        graph = await Graph.connect(settings.graph_config())
        try:
            await apply_migrations(graph, load_migrations(settings.migrations_dir))
        finally:
            await graph.close()

    asyncio.run(run())


def wait_until_ready(base: str, seconds: float = 30) -> None:
    """Poll ``base``/readyz until the API answers 200; fail the test after ``seconds``."""
    import time

    import httpx
    import pytest

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the API at {base} did not become ready within {seconds:g} s")


def ws_json(ws: Any, seconds: float = 20) -> Any:
    """The next JSON message of a test WebSocket, failing the test after ``seconds`` rather
    than waiting for ever."""
    import anyio
    import orjson

    async def receive() -> Any:
        with anyio.fail_after(seconds):
            return await ws._send_rx.receive()

    message = ws.portal.call(receive)
    assert message["type"] == "websocket.send", message
    return orjson.loads(message.get("text") or message["bytes"])


@contextmanager
def graphql_ws(client: Any, payload: dict[str, Any] | None = None) -> Iterator[Any]:
    """A graphql-transport-ws connection of a test client, initialised (``payload``: the
    connection_init payload, say an Authorization) and acknowledged."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": payload or {}})
        acknowledged = ws_json(ws)
        assert acknowledged["type"] == "connection_ack", acknowledged
        yield ws
