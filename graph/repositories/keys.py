"""API keys: stored as a key id, a random salt and the SHA-256 of salt and secret, never the key.

A key reads ``cg_<keyId>_<secret>``: the id finds the stored node through a unique constraint and
the secret (32 random bytes) is checked against the salted hash in constant time. The secret has
full entropy, so one salted SHA-256 is enough (a slow password hash guards guessable passwords).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from graph.driver import Graph
from graph.notices import Channel
from graph.repositories import audit, convert
from graph.repositories.state import Tracked

PREFIX = "cg"


class Role(StrEnum):
    """Who a caller is; what each may do is the API's permission matrix."""

    PUBLIC = "public"
    RELYING_PARTY = "relying_party"
    INVESTIGATOR = "investigator"
    REGISTRAR = "registrar"
    AUDITOR = "auditor"
    SUBJECT = "subject"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: Role
    subject: str | None
    created_at: datetime
    revoked_at: datetime | None


CREATE = """
CREATE (k:ApiKey {keyId: $keyId, name: $name, role: $role, subject: $subject,
                  salt: $salt, hash: $hash, createdAt: $now})
"""
BY_ID = "MATCH (k:ApiKey {keyId: $keyId}) RETURN properties(k) AS props"
ALL = "MATCH (k:ApiKey) RETURN properties(k) AS props ORDER BY k.createdAt"
REVOKE = """
MATCH (k:ApiKey {keyId: $keyId})
SET k.revokedAt = coalesce(k.revokedAt, $now)
RETURN properties(k) AS props
"""


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def _key(props: dict[str, object]) -> ApiKey:
    created, revoked = props["createdAt"], props.get("revokedAt")
    return ApiKey(
        key_id=str(props["keyId"]),
        name=str(props["name"]),
        role=Role(str(props["role"])),
        subject=str(props["subject"]) if props.get("subject") else None,
        created_at=convert.to_datetime(created),
        revoked_at=convert.to_datetime(revoked) if revoked else None,
    )


async def create(
    graph: Graph,
    name: str,
    role: Role,
    subject: str | None,
    actor: audit.Actor = audit.OPERATOR,
) -> tuple[ApiKey, str]:
    """Store a new key, audited; returns it and the full key text, which is shown once and
    never kept (the entry records its name, role and subject, never the secret)."""
    key_id, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)
    now = datetime.now(UTC)

    async def work(tx: Graph) -> None:
        await tx.write(
            CREATE,
            {
                "keyId": key_id,
                "name": name,
                "role": role.value,
                "subject": subject,
                "salt": salt,
                "hash": _digest(salt, secret),
                "now": now,
            },
        )
        tx.touch(Tracked.API_KEY, [key_id])

    args = {"keyId": key_id, "name": name, "role": role.value, "subject": subject}
    subjects = [subject] if subject else []
    await audit.act(graph, actor, "createKey", args, work, lambda _: subjects)
    return ApiKey(key_id, name, role, subject, now, None), f"{PREFIX}_{key_id}_{secret}"


async def verify(graph: Graph, text: str) -> ApiKey | None:
    """The live key ``text`` stands for; None when it is malformed, unknown, wrong or revoked."""
    prefix, _, rest = text.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret or len(text) > 200:
        return None
    rows = await graph.read(BY_ID, {"keyId": key_id})
    if not rows:
        return None
    props = rows[0]["props"]
    if not hmac.compare_digest(str(props["hash"]), _digest(str(props["salt"]), secret)):
        return None
    key = _key(props)
    return None if key.revoked_at else key


async def all_keys(graph: Graph) -> list[ApiKey]:
    return [_key(row["props"]) for row in await graph.read(ALL)]


async def revoke(graph: Graph, key_id: str, actor: audit.Actor = audit.OPERATOR) -> ApiKey | None:
    """Revoke a key, audited (a second revocation keeps the first time); None when there is
    no such key (recorded as refused)."""

    async def work(tx: Graph) -> ApiKey | None:
        rows = await tx.write(REVOKE, {"keyId": key_id, "now": datetime.now(UTC)})
        if not rows:
            return None
        tx.touch(Tracked.API_KEY, [key_id])
        # Every worker forgets the key at once (``api.auth``), not when its cache expires.
        await tx.announce(Channel.REVOCATIONS, [key_id])
        return _key(rows[0]["props"])

    return await audit.act(
        graph,
        actor,
        "revokeKey",
        {"keyId": key_id},
        work,
        kind=lambda found: "write" if found else "refused",
    )
