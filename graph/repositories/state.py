"""What the registry stores, sealed by the audit entries of the writes that stored it.

Every write of a tracked object (a company, person, link, record, score snapshot, dispute or
API key) notes the object on its transaction (``Graph.touch``); the transaction's audit entry
then reads each touched object back as stored and seals it: a digest of every field (its
properties, and for a record the subject it concerns and its issuer, for a dispute the record it
disputes) goes into an ``AuditState`` node of the entry, and the digest of all of them into the
entry's hash. ``verify`` later reads every tracked object and compares it with the last audited
write that sealed it: an object no audited write made, one whose content differs (and in which
fields), and one an audited write made that is gone are named. An edit made in the database
behind the API's back is one of these three, unless whoever made it also rewrote the chain
from that entry on, which the signed checkpoints catch.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, LiteralString

import orjson

from graph.driver import Graph
from graph.errors import GraphConflict
from graph.models import RelType
from graph.repositories.seals import Seal, Tracked, fold, object_digest, seal_of

__all__ = ["Tracked", "describe", "link_key", "save", "seal", "verify"]

PART = 1000  # objects per AuditState node: one entry of a large import has several


def link_key(rel: RelType | str, from_key: str, to_key: str, role: str | None) -> str:
    """A link's key: its type, both ends and (for an officer) the role, as a JSON array."""
    rel = RelType(rel)
    kept = role if rel is RelType.OFFICER_OF else None
    return orjson.dumps([rel.value, from_key, to_key, kept]).decode()


def describe(kind: Tracked, key: str) -> tuple[str, ...]:
    """The parts of an object's key, for people to read: a link's type, ends and role."""
    if kind is Tracked.LINK:
        rel, start, end, role = orjson.loads(key)
        return (rel, start, end, *([role] if role else []))
    return (key,)


# Each kind read back by its keys (sealing) and all of it (verifying), as the same content.
_BY_KEY: dict[Tracked, LiteralString] = {
    Tracked.COMPANY: "UNWIND $keys AS key MATCH (n:Company {uscc: key}) "
    "RETURN key, properties(n) AS props",
    Tracked.PERSON: "UNWIND $keys AS key MATCH (n:Person {idNumber: key}) "
    "RETURN key, properties(n) AS props",
    Tracked.SNAPSHOT: "UNWIND $keys AS key MATCH (n:ScoreSnapshot {snapshotId: key}) "
    "RETURN key, properties(n) AS props",
    Tracked.API_KEY: "UNWIND $keys AS key MATCH (n:ApiKey {keyId: key}) "
    "RETURN key, properties(n) AS props",
    Tracked.RECORD: """
UNWIND $keys AS key
MATCH (n:Record {recordId: key})
OPTIONAL MATCH (n)-[:CONCERNS]->(s)
WITH key, n, collect(coalesce(s.uscc, s.idNumber)) AS concerns
OPTIONAL MATCH (n)-[:ISSUED_BY]->(a:Authority)
RETURN key, properties(n) AS props, concerns, collect(a.name) AS issuers
""",
    Tracked.DISPUTE: """
UNWIND $keys AS key
MATCH (n:Dispute {disputeId: key})
OPTIONAL MATCH (n)-[:DISPUTES]->(r:Record)
RETURN key, properties(n) AS props, collect(r.recordId) AS disputes
""",
}
_ALL: dict[Tracked, LiteralString] = {
    Tracked.COMPANY: "MATCH (n:Company) RETURN n.uscc AS key, properties(n) AS props",
    Tracked.PERSON: "MATCH (n:Person) RETURN n.idNumber AS key, properties(n) AS props",
    Tracked.SNAPSHOT: "MATCH (n:ScoreSnapshot) RETURN n.snapshotId AS key, properties(n) AS props",
    Tracked.API_KEY: "MATCH (n:ApiKey) RETURN n.keyId AS key, properties(n) AS props",
    Tracked.RECORD: """
MATCH (n:Record)
OPTIONAL MATCH (n)-[:CONCERNS]->(s)
WITH n, collect(coalesce(s.uscc, s.idNumber)) AS concerns
OPTIONAL MATCH (n)-[:ISSUED_BY]->(a:Authority)
RETURN n.recordId AS key, properties(n) AS props, concerns, collect(a.name) AS issuers
""",
    Tracked.DISPUTE: """
MATCH (n:Dispute)
OPTIONAL MATCH (n)-[:DISPUTES]->(r:Record)
RETURN n.disputeId AS key, properties(n) AS props, collect(r.recordId) AS disputes
""",
}
# Links by type (a type cannot be a parameter; each name here is a literal, never input): by
# their ends, and all of them.
_REL_NAMES: dict[RelType, LiteralString] = {
    RelType.LEGAL_REPRESENTATIVE_OF: "LEGAL_REPRESENTATIVE_OF",
    RelType.SHAREHOLDER_OF: "SHAREHOLDER_OF",
    RelType.OFFICER_OF: "OFFICER_OF",
    RelType.BRANCH_OF: "BRANCH_OF",
}
_LINK_BY_KEY: dict[RelType, LiteralString] = {
    rel: "UNWIND $rows AS row MATCH (b:Company {uscc: row.to})<-[r:"
    + name
    + """]-(a)
WHERE (a.uscc = row.from OR a.idNumber = row.from) AND (row.role IS NULL OR r.role = row.role)
RETURN row.key AS key, properties(r) AS props
"""
    for rel, name in _REL_NAMES.items()
}
_LINK_ALL: dict[RelType, LiteralString] = {
    rel: "MATCH (a)-[r:"
    + name
    + """]->(b)
RETURN coalesce(a.uscc, a.idNumber) AS from, coalesce(b.uscc, b.idNumber) AS to,
       r.role AS role, properties(r) AS props
"""
    for rel, name in _REL_NAMES.items()
}
STATES = """
MATCH (s:AuditState)
RETURN s.seq AS seq, s.keys AS keys, s.digests AS digests
ORDER BY s.seq, s.part
"""
STATES_OF = """
UNWIND $seqs AS seq
MATCH (s:AuditState {seq: seq})
RETURN s.seq AS seq, s.keys AS keys, s.digests AS digests, s.fields AS fields
"""
SAVE = """
UNWIND $parts AS p
CREATE (:AuditState {seq: p.seq, part: p.part, keys: p.keys, digests: p.digests,
                     fields: p.fields})
"""


async def _rows_of(graph: Graph, kind: Tracked, keys: list[str]) -> list[dict[str, Any]]:
    if kind is not Tracked.LINK:
        return await graph.read(_BY_KEY[kind], {"keys": keys})
    by_rel: dict[RelType, list[dict[str, Any]]] = {}
    for key in keys:
        rel, start, end, role = orjson.loads(key)
        by_rel.setdefault(RelType(rel), []).append(
            {"key": key, "from": start, "to": end, "role": role}
        )
    rows: list[dict[str, Any]] = []
    for rel, wanted in by_rel.items():
        rows += await graph.read(_LINK_BY_KEY[rel], {"rows": wanted})
    return rows


async def seal(
    graph: Graph, touched: Mapping[str, Mapping[str, Mapping[str, Any] | None]]
) -> list[Seal]:
    """Seal every object the transaction touched, as stored: from the row the statement that
    last changed it returned (or the seal its writer made of what it stored), or read back. An
    object it wrote that its own transaction cannot find (a concurrent creation of the same key
    can hide it on the embedded backend) is a conflict: the whole transaction runs again. A
    returned row that is not what is stored can only make the object look changed later, never
    hide a change."""
    seals: list[Seal] = []
    for name, objects in touched.items():
        kind = Tracked(name)
        wanted = [key for key, row in objects.items() if row is None]
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(wanted), 5000):
            for row in await _rows_of(graph, kind, wanted[start : start + 5000]):
                found.setdefault(str(row["key"]), row)
        missing = [k for k in wanted if k not in found]
        if missing:
            raise GraphConflict(
                f"{len(missing)} {kind.value} object(s) written in this transaction could not "
                "be read back in it"
            )
        seals += [
            row if isinstance(row, Seal) else seal_of(kind, key, row or found[key])[0]
            for key, row in objects.items()
        ]
    return seals


async def save(graph: Graph, seq: int, seals: list[Seal]) -> None:
    """Store an entry's seals, in parts of ``PART`` objects, on the entry's transaction."""
    parts = [
        {
            "seq": seq,
            "part": n,
            "keys": [s.key for s in chunk],
            "digests": [s.digest for s in chunk],
            "fields": [s.fields for s in chunk],
        }
        for n, chunk in enumerate(seals[i : i + PART] for i in range(0, len(seals), PART))
    ]
    if parts:
        await graph.write(SAVE, {"parts": parts})


async def stored_digests(graph: Graph) -> dict[int, str]:
    """Each entry's state digest recomputed from its stored seals, for the chain's check."""
    digests: dict[int, Any] = {}
    async for seq, keys, object_digests in graph.stream(STATES):
        fold(digests.setdefault(int(seq), hashlib.sha256()), zip(keys, object_digests, strict=True))
    return {seq: h.hexdigest() for seq, h in digests.items()}


class Change(StrEnum):
    UNAUDITED = "unaudited"  # no audited write made it
    CHANGED = "changed"  # its content differs from the last audited write's
    DELETED = "deleted"  # an audited write made it; it is gone
    DUPLICATE = "duplicate"  # a second object under the key of another


@dataclass(frozen=True)
class Difference:
    kind: Tracked
    key: str
    change: Change
    fields: tuple[str, ...]  # the fields that differ (all of them for an unaudited object)
    seq: int | None  # the last audited write that sealed it


@dataclass
class StateReport:
    checked: int = 0  # objects in the graph compared
    sealed: int = 0  # objects the audit chain has sealed
    differences: list[Difference] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.differences


async def _current(graph: Graph) -> AsyncIterator[tuple[Tracked, str, dict[str, Any]]]:
    for kind in Tracked:
        if kind is Tracked.LINK:
            for rel in RelType:
                async for start, end, role, props in graph.stream(_LINK_ALL[rel]):
                    key = link_key(rel, str(start), str(end), role)
                    yield kind, key, {"props": props}
            continue
        async for values in graph.stream(_ALL[kind]):
            row = dict(zip(("key", "props", *_EDGES.get(kind, ())), values, strict=True))
            yield kind, str(row["key"]), row


_EDGES: dict[Tracked, tuple[str, ...]] = {
    Tracked.RECORD: ("concerns", "issuers"),
    Tracked.DISPUTE: ("disputes",),
}


async def verify(graph: Graph) -> StateReport:
    """Compare every tracked object in the graph with the last audited write that sealed it."""
    report = StateReport()
    latest: dict[str, tuple[int, str]] = {}
    async for seq, keys, digests in graph.stream(STATES):
        for key, digest in zip(keys, digests, strict=True):
            latest[key] = (int(seq), digest)
    report.sealed = len(latest)
    changed: dict[str, tuple[Tracked, str, dict[str, str], int]] = {}
    seen: set[str] = set()
    async for kind, key, row in _current(graph):
        report.checked += 1
        sealed_key = f"{kind.value}:{key}"
        now, fields = seal_of(kind, key, row)
        if sealed_key in seen:
            report.differences.append(
                Difference(kind, key, Change.DUPLICATE, tuple(sorted(fields)), None)
            )
            continue
        seen.add(sealed_key)
        last = latest.pop(sealed_key, None)
        if last is None:
            report.differences.append(
                Difference(kind, key, Change.UNAUDITED, tuple(sorted(fields)), None)
            )
        elif last[1] != now.digest:
            changed[sealed_key] = (kind, key, fields, last[0])
    if changed:
        sealed_fields = await _sealed_fields(graph, {seq for *_, seq in changed.values()})
        for sealed_key, (kind, key, fields, seq) in changed.items():
            before = sealed_fields.get((seq, sealed_key), {})
            differ = {n for n in fields.keys() | before.keys() if fields.get(n) != before.get(n)}
            report.differences.append(
                Difference(kind, key, Change.CHANGED, tuple(sorted(differ)), seq)
            )
    for sealed_key, (seq, _) in latest.items():
        name, key = sealed_key.split(":", 1)
        report.differences.append(Difference(Tracked(name), key, Change.DELETED, (), seq))
    report.differences.sort(key=lambda d: (d.kind.value, d.key))
    return report


async def _sealed_fields(graph: Graph, seqs: set[int]) -> dict[tuple[int, str], dict[str, str]]:
    """The field digests the given entries sealed, by (entry, object); a field map that does
    not match its sealed digest is left out (the object then shows every field as changed)."""
    found: dict[tuple[int, str], dict[str, str]] = {}
    ordered = sorted(seqs)
    for start in range(0, len(ordered), 500):
        rows = await graph.read(STATES_OF, {"seqs": ordered[start : start + 500]})
        for row in rows:
            for key, digest, fields in zip(row["keys"], row["digests"], row["fields"], strict=True):
                if object_digest(str(fields).encode()) == digest:
                    found[(int(row["seq"]), key)] = orjson.loads(fields)
    return found
