"""Signed checkpoints of the audit chain: its head (sequence number and hash), signed.

A checkpoint is kept in the graph and, above all, exported to outside witnesses (a regulator,
the public). ``contradiction`` checks a set of checkpoints against the chain as it is now: a
chain rewritten with consistent hashes still contradicts the checkpoints signed before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from graph.driver import Graph
from graph.repositories.audit import HEAD
from graph.signing import Signer, fingerprint, verify


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # ISO 8601, UTC, as signed
    signature: str  # base64 Ed25519 signature of ``payload``
    key: str  # the signing key's fingerprint

    def payload(self) -> bytes:
        return payload(self.seq, self.hash, self.at)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def payload(seq: int, hash: str, at: str) -> bytes:
    """What a checkpoint signs: the chain's head at a moment, in one canonical line."""
    return f"credgraph-audit-checkpoint\n{seq}\n{hash}\n{at}".encode()


LATEST = """
MATCH (c:AuditCheckpoint) RETURN properties(c) AS props ORDER BY c.seq DESC LIMIT 1
"""
ALL = "MATCH (c:AuditCheckpoint) RETURN properties(c) AS props ORDER BY c.seq"
SAVE = """
MERGE (c:AuditCheckpoint {seq: $seq})
ON CREATE SET c.hash = $hash, c.at = $at, c.signature = $signature, c.key = $key
"""
ENTRY_HASH = "MATCH (e:AuditEntry {seq: $seq}) RETURN e.hash AS hash"


def _checkpoint(props: dict[str, object]) -> Checkpoint:
    return Checkpoint(
        seq=int(str(props["seq"])),
        hash=str(props["hash"]),
        at=str(props["at"]),
        signature=str(props["signature"]),
        key=str(props["key"]),
    )


async def latest(graph: Graph) -> Checkpoint | None:
    rows = await graph.read(LATEST)
    return _checkpoint(rows[0]["props"]) if rows else None


async def listing(graph: Graph) -> list[Checkpoint]:
    return [_checkpoint(r["props"]) for r in await graph.read(ALL)]


async def sign_head(
    graph: Graph,
    signer: Signer,
    *,
    every_entries: int = 1,
    every: timedelta | None = None,
) -> Checkpoint | None:
    """Sign the chain's head when it is newer than the last checkpoint by ``every_entries``
    entries, or by any number once ``every`` has passed since; None when nothing is due."""
    head = await graph.read(HEAD)
    if not head or int(head[0]["seq"]) == 0:
        return None
    seq, hash = int(head[0]["seq"]), str(head[0]["hash"])
    last = await latest(graph)
    now = datetime.now(UTC)
    if last is not None:
        if last.seq >= seq:
            return None
        due = seq - last.seq >= every_entries
        if every is not None and now - datetime.fromisoformat(last.at) >= every:
            due = True
        if not due:
            return None
    at = now.isoformat(timespec="seconds")
    made = Checkpoint(
        seq=seq, hash=hash, at=at, signature=signer.sign(payload(seq, hash, at)),
        key=fingerprint(signer.public),
    )  # fmt: skip
    await graph.write(SAVE, made.as_dict())
    return made


async def contradiction(
    graph: Graph, checkpoints: list[Checkpoint], key: Ed25519PublicKey
) -> tuple[int, str | None]:
    """How many checkpoints hold against the chain as it is, and what the first one that
    does not says (a bad signature, another key, an entry changed or gone)."""
    head = await graph.read(HEAD)
    head_seq = int(head[0]["seq"]) if head else 0
    ours = fingerprint(key)
    for held, checkpoint in enumerate(sorted(checkpoints, key=lambda c: c.seq)):
        name = f"checkpoint {checkpoint.seq} (signed {checkpoint.at})"
        if checkpoint.key != ours or not verify(key, checkpoint.payload(), checkpoint.signature):
            return held, f"{name}: its signature does not verify with this public key"
        if checkpoint.seq > head_seq:
            return held, f"{name}: the chain now ends at entry {head_seq}; entries were removed"
        rows = await graph.read(ENTRY_HASH, {"seq": checkpoint.seq})
        if not rows:
            return held, f"{name}: entry {checkpoint.seq} is gone from the chain"
        if str(rows[0]["hash"]) != checkpoint.hash:
            return held, (
                f"{name}: entry {checkpoint.seq} now has another hash; the chain up to it "
                "was rewritten"
            )
    return len(checkpoints), None
