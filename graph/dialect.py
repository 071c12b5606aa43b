"""The few places where the embedded ArcadeDB backend and Neo4j 5 differ, kept in one module.

Migrations and repositories are written in Neo4j 5 Cypher. The differences handled here:

- Full-text indexes: Neo4j creates them with ``CREATE FULLTEXT INDEX``, with the ``cjk`` analyzer
  (Chinese names are indexed as character bigrams, ``with_cjk_analyzer``); ArcadeDB refuses that
  statement and takes SQL over its HTTP API instead, and names the index ``Label[property]``.
- Large data migrations: a statement with ``CALL { ... } IN TRANSACTIONS`` commits batch by batch
  on Neo4j (in an implicit transaction); ArcadeDB runs the same subquery in the file's one
  transaction (``without_batches``).
- Element ids are treated as opaque everywhere, so their format does not matter.

Written once for both, as the portable Cypher they share:

- A map literal holding a map projection (``{props: n {.a}, rel: r {.b}}``) is answered by
  ArcadeDB as the first projection alone; statements take the projections as columns first and
  put the columns in the map (``graph.repositories.entities.LINK_COLUMNS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import httpx

from graph.errors import GraphQueryError, GraphUnavailable


class Dialect(StrEnum):
    """Which Cypher server is behind the Bolt URI."""

    NEO4J = "neo4j"
    ARCADEDB = "arcadedb"


@dataclass(frozen=True)
class FulltextIndex:
    """A full-text index on one property of one label, as migrations declare it."""

    name: str
    label: str
    prop: str


_FULLTEXT = re.compile(
    r"^\s*CREATE\s+FULLTEXT\s+INDEX\s+(?P<name>\w+)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"FOR\s+\(\s*(?P<var>\w+)\s*:\s*(?P<label>\w+)\s*\)\s+"
    r"ON\s+EACH\s+\[\s*(?P=var)\.(?P<prop>\w+)\s*\]",
    re.IGNORECASE | re.DOTALL,
)


def parse_fulltext(statement: str) -> FulltextIndex | None:
    """The index a ``CREATE FULLTEXT INDEX`` statement declares, or None for other statements.

    Only single-label, single-property indexes are portable to ArcadeDB, so only those parse.
    """
    match = _FULLTEXT.match(statement)
    if match is None:
        if re.match(r"^\s*CREATE\s+FULLTEXT", statement, re.IGNORECASE):
            raise GraphQueryError(
                "a full-text index must be on one label and one property to run on both backends: "
                + statement.strip()[:120]
            )
        return None
    return FulltextIndex(match["name"], match["label"], match["prop"])


CJK_OPTIONS = " OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"


def with_cjk_analyzer(statement: str) -> str:
    """A Neo4j ``CREATE FULLTEXT INDEX`` with the ``cjk`` analyzer when it names none: Neo4j's
    default analyzer splits Chinese text into single characters, the ``cjk`` one into bigrams."""
    if re.search(r"\bOPTIONS\b", statement, re.IGNORECASE):
        return statement
    return statement.rstrip().rstrip(";") + CJK_OPTIONS


_BATCHED = re.compile(r"\}\s*IN\s+TRANSACTIONS\b", re.IGNORECASE)


def is_batched(statement: str) -> bool:
    """Whether a data statement commits in batches (``CALL { ... } IN TRANSACTIONS``)."""
    return bool(_BATCHED.search(statement))


def without_batches(statement: str) -> str:
    """``statement`` with its ``IN TRANSACTIONS [OF n ROWS]`` dropped: the subquery runs once,
    in the enclosing transaction (the embedded backend's way)."""
    return re.sub(r"\}\s*IN\s+TRANSACTIONS(\s+OF\s+\$?\w+\s+ROWS?)?", "}", statement, flags=re.I)


def fulltext_bigrams(dialect: Dialect) -> bool:
    """Whether the backend's full-text indexes hold Chinese as bigrams (Neo4j's ``cjk``
    analyzer) rather than as single characters (ArcadeDB's)."""
    return dialect is Dialect.NEO4J


def fulltext_query_name(dialect: Dialect, index: FulltextIndex) -> str:
    """The name to pass to ``db.index.fulltext.queryNodes`` for ``index`` on ``dialect``."""
    if dialect is Dialect.ARCADEDB:
        return f"{index.label}[{index.prop}]"
    return index.name


def arcadedb_fulltext_sql(index: FulltextIndex) -> list[str]:
    """ArcadeDB SQL creating ``index``; the type and property must be declared first.

    The label and property come from migration files, never from a request, and ``_FULLTEXT``
    admits identifiers only (``\\w+``); SQL DDL takes no parameters for them.
    """
    if not (index.label.isidentifier() and index.prop.isidentifier()):
        raise GraphQueryError(f"not an identifier: {index.label}.{index.prop}")
    return [
        f"CREATE VERTEX TYPE {index.label} IF NOT EXISTS",
        f"CREATE PROPERTY {index.label}.{index.prop} IF NOT EXISTS STRING",
        f"CREATE INDEX IF NOT EXISTS ON {index.label} ({index.prop}) FULL_TEXT",
    ]


async def run_arcadedb_sql(
    http_url: str, database: str, auth: tuple[str, str], commands: list[str]
) -> None:
    """Run SQL commands through ArcadeDB's HTTP API (schema steps Cypher cannot express there)."""
    async with httpx.AsyncClient(base_url=http_url, auth=auth, timeout=60.0) as client:
        for command in commands:
            try:
                resp = await client.post(
                    f"/api/v1/command/{database}", json={"language": "sql", "command": command}
                )
            except httpx.HTTPError as exc:
                raise GraphUnavailable(f"ArcadeDB's HTTP API is unreachable: {exc}") from exc
            if resp.status_code >= 400:
                detail = (
                    resp.json().get("detail", resp.text) if resp.content else resp.reason_phrase
                )
                raise GraphQueryError(f"ArcadeDB refused '{command}': {detail}")
