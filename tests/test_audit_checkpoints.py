"""Signed checkpoints: a chain rewritten with fresh, consistent hashes passes ``audit verify``
on its own, and is caught by the checkpoints an outside witness holds."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from graph.driver import Graph
from graph.repositories.audit import GENESIS, _entry, entry_hash
from graph.repositories.checkpoints import payload
from graph.signing import load_public, verify
from tests.conftest import settings_for
from tests.factories import api_key, bearer, uscc
from tests.test_cli import env_for, run

UPSERT = 'mutation { upsertCompany(input: {uscc: "%s", name: "签名测试有限公司"}) { __typename } }'


async def rewrite_chain(graph: Graph) -> None:
    """What someone with write access to the database can do: change entry 2 and recompute
    every hash after it, the head's included, so that the chain verifies on its own."""
    rows = await graph.read("MATCH (e:AuditEntry) RETURN properties(e) AS p ORDER BY e.seq")
    previous = GENESIS
    for row in rows:
        entry = _entry(row["p"])
        body = {**entry.body(), "prevHash": previous}
        if entry.seq == 2:
            body["role"] = "auditor"
        fresh = entry_hash(body)
        await graph.write(
            "MATCH (e:AuditEntry {seq: $seq}) SET e.role = $role, e.prevHash = $prev, "
            "e.hash = $hash",
            {"seq": entry.seq, "role": body["role"], "prev": previous, "hash": fresh},
        )
        previous = fresh
    await graph.write("MATCH (h:AuditHead) SET h.hash = $hash", {"hash": previous})


def test_checkpoints_catch_a_consistently_rewritten_chain(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "witness" / "audit.key"
    settings = settings_for(fresh_server, allow_writes=True, audit_key_file=key_file)
    env = env_for(fresh_server, CREDGRAPH_AUDIT_KEY_FILE=str(key_file))
    registrar = bearer(api_key(settings, "registrar", name="signing desk"))
    with TestClient(create_app(settings)) as client:
        for n in (1, 2, 3):
            body = client.post("/graphql", json={"query": UPSERT % uscc(n)}, headers=registrar)
            assert body.json()["data"]["upsertCompany"]["__typename"] == "UpsertCompanySuccess"
        published = client.get("/audit/public-key")
        assert published.status_code == 200 and "BEGIN PUBLIC KEY" in published.text
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"

    exported = tmp_path / "checkpoints.jsonl"
    done = run(["audit", "checkpoints", "export", str(exported)], env)
    assert done.returncode == 0, done.stderr
    lines = [orjson.loads(line) for line in exported.read_text().splitlines()]
    # The service signed the head it found at start (the key's creation, entry 1); the export
    # signed the head after the three writes.
    assert [line["seq"] for line in lines] == [1, 4]
    # The outside witness checks the signature with nothing but the published key.
    public = tmp_path / "public.pem"
    public.write_text(published.text)
    signed = lines[-1]
    assert verify(
        load_public(published.content),
        payload(signed["seq"], signed["hash"], signed["at"]),
        signed["signature"],
    )
    # As README tells a regulator: nothing but `cryptography`, the PEM and the line.
    witness_key = serialization.load_pem_public_key(published.content)
    assert isinstance(witness_key, Ed25519PublicKey)
    message = f"credgraph-audit-checkpoint\n{signed['seq']}\n{signed['hash']}\n{signed['at']}"
    witness_key.verify(base64.b64decode(signed["signature"]), message.encode())
    with pytest.raises(InvalidSignature):
        witness_key.verify(base64.b64decode(signed["signature"]), message.encode() + b"x")
    agreed = run(
        ["audit", "verify", "--checkpoints", str(exported), "--public-key", str(public)], env
    )
    assert agreed.returncode == 0 and "2 signed checkpoints agree" in agreed.stdout

    async def tamper() -> None:
        graph = await Graph.connect(settings.graph_config())
        try:
            await rewrite_chain(graph)
        finally:
            await graph.close()

    asyncio.run(tamper())
    alone = run(["audit", "verify"], env)
    assert alone.returncode == 0, alone.stderr  # the rewrite is consistent in itself
    caught = run(
        ["audit", "verify", "--checkpoints", str(exported), "--public-key", str(public)], env
    )
    assert caught.returncode == 1
    assert "checkpoint 4" in caught.stderr and "was rewritten" in caught.stderr
    # A forged checkpoint file does not help either: its signature fails.
    forged = dict(signed, hash="0" * 64)
    exported.write_bytes(orjson.dumps(forged) + b"\n")
    refused = run(
        ["audit", "verify", "--checkpoints", str(exported), "--public-key", str(public)], env
    )
    assert refused.returncode == 1 and "signature does not verify" in refused.stderr
