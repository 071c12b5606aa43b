"""What a report holds, read through the GraphQL schema as the caller (see ``api.reports``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay

from api.context import Context
from api.errors import PermissionDenied, PublicError, RateLimited
from api.read_audit import flush_reads
from graph.errors import GraphConflict, GraphUnavailable

TEXT = "{ en zh }"
RECORDS = f"""records(first: 100, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
  edges {{ node {{ recordId code codeTitle {TEXT} polarity category severity authority caseNumber
    decidedOn status penalty description
    standing {{ status points countsUntil rule {{ id titleText {TEXT} }} }} }} }} }}"""
CONTRIBUTIONS = f"""contributions(first: 100, after: $after) {{
  totalCount pageInfo {{ hasNextPage endCursor }}
  edges {{ node {{ kind points status recordId weight decidedOn expiresOn
    rule {{ id titleText {TEXT} }} source {{ name }} path {{ rel direction }} }} }} }}"""
REPORT = f"""query Report($id: ID!, $after: String) {{ node(id: $id) {{ __typename id
  ... on Company {{ name key uscc jurisdiction registryNumber registrationNumber status foundedOn
    region address legalRepresentativeName registrationAuthority }}
  ... on Person {{ name idNumber idType nationality profession }}
  ... on Entity {{
    score {{ value base level blacklisted blacklistReasons asOf
      scheme {{ id version title levels {{ name min max meaning {TEXT} }} }}
      consequences {{ code kind inForce reasons titleText {TEXT} descriptionText {TEXT} }}
      {CONTRIBUTIONS} }}
    {RECORDS}
  }} }} }}"""
MORE_RECORDS = f"""query ReportRecords($id: ID!, $after: String) {{ node(id: $id) {{
  ... on Entity {{ {RECORDS} }} }} }}"""
MORE_CONTRIBUTIONS = f"""query ReportContributions($id: ID!, $after: String) {{ node(id: $id) {{
  ... on Entity {{ score {{ {CONTRIBUTIONS} }} }} }} }}"""


class ReportRefused(Exception):
    """The report is refused as the file read would be: a status, a name and the reason."""

    def __init__(
        self, status: int, error: str, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason, self.headers = status, error, reason, headers or {}


def _refusal(errors: list[GraphQLError]) -> ReportRefused:
    """The HTTP refusal for the errors a file read answered with."""
    reason = "; ".join(e.message for e in errors)
    originals = [e.original_error for e in errors]
    for original in originals:
        if isinstance(original, RateLimited):
            headers = {"Retry-After": str(original.retry_after)}
            return ReportRefused(429, "rate_limited", str(original), headers)
    if any(isinstance(o, (GraphUnavailable, GraphConflict)) for o in originals):
        return ReportRefused(503, "unavailable", "the graph backend is unavailable; retry shortly")
    if any(isinstance(o, PermissionDenied) for o in originals):
        return ReportRefused(403, "forbidden", reason)
    if any(isinstance(o, PublicError) for o in originals):
        return ReportRefused(400, "bad_request", reason)
    return ReportRefused(500, "internal", "the report could not be made")


async def _run(
    schema: strawberry.Schema, context: Context, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=context)
    errors = list(result.errors or ())
    # The people a company's risk came from may be hidden from the role (the file shows the
    # points and the path, without the name), as on screen; anything else refuses the report.
    hidden = [
        e
        for e in errors
        if isinstance(e.original_error, PermissionDenied) and e.path and "source" in e.path
    ]
    if len(hidden) < len(errors):
        raise _refusal(errors)
    if hidden:
        context.report_notes.add("hidden_sources")
    assert result.data is not None
    node: dict[str, Any] | None = result.data["node"]
    if node is None:
        raise ReportRefused(404, "not_found", f"id: no entity {variables['id']!r}")
    return node


async def _rest(
    schema: strawberry.Schema,
    context: Context,
    query: str,
    node_id: str,
    page: dict[str, Any],
    where: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Every edge of a connection whose first page is ``page``, reading the next ones."""
    edges = [e["node"] for e in page["edges"]]
    while page["pageInfo"]["hasNextPage"]:
        node = await _run(
            schema, context, query, {"id": node_id, "after": page["pageInfo"]["endCursor"]}
        )
        for name in where:
            node = node[name]
        page = node
        edges += [e["node"] for e in page["edges"]]
    return edges


async def read_report(
    schema: strawberry.Schema, context: Context, node_id: str, fmt: str
) -> dict[str, Any]:
    """The report on ``node_id`` as ``context``'s caller may read it, logged as one read entry
    (``ReportRefused`` when the file read would be refused)."""
    context.defer_reads = True  # the report's own entry names everyone it shows
    node = await _run(schema, context, REPORT, {"id": node_id, "after": None})
    score = node["score"]
    contributions = await _rest(
        schema,
        context,
        MORE_CONTRIBUTIONS,
        node_id,
        score.pop("contributions"),
        ("score", "contributions"),
    )
    records = await _rest(schema, context, MORE_RECORDS, node_id, node.pop("records"), ("records",))
    kind = node.pop("__typename")
    key = node.get("key") or node.get("idNumber")
    subject = await _subject_key(context, kind, node)
    reads = context.reads
    reads.subjects.add(subject)
    reads.fields.add("report")
    entry = await flush_reads(context, operation="report", args={"id": node_id, "format": fmt})
    caller = context.caller
    return {
        "report": {
            "madeAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "keyId": caller.key_id,
            "role": caller.role.value,
            "auditEntry": entry.seq if entry is not None else None,
            "notes": sorted(context.report_notes),
        },
        "entity": {"kind": kind, **node, "key": key},
        "score": {**score, "contributions": contributions},
        "records": records,
    }


async def _subject_key(context: Context, kind: str, node: dict[str, Any]) -> str:
    """The subject's key for the audit entry, whole (the report shows what the role may see)."""
    if kind == "Company":
        return str(node["key"])
    uid = relay.GlobalID.from_id(node["id"]).node_id
    person = await context.loaders.person_by_uid.load(uid)
    if person is None:
        raise ReportRefused(404, "not_found", f"id: no entity {node['id']!r}")
    return person.id_number
