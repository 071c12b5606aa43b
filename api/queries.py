"""The root Query type: lookups, search and the publicity feed."""

from __future__ import annotations

from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import strawberry
from strawberry import relay

from api import prefetch
from api.access import Can, allowed
from api.context import Info
from api.errors import PublicError
from api.permissions import (
    BlacklistAccess,
    EligibilityAccess,
    Open,
    PersonLookup,
    SearchAccess,
    needs,
)
from api.resolvers import auditing, investigation, watching
from api.resolvers import disputes as dispute_resolvers
from api.resolvers.eligibility import decide_eligibility
from api.resolvers.lookups import find_person
from api.resolvers.watching import WatchEntry
from api.types.args import After, AsOf, EntityId, First, RelTypes, SchemeId
from api.types.company import CompanyType
from api.types.eligibility import Eligibility
from api.types.enums import IdType, SearchKind
from api.types.investigation import CommonLink, Linkage, Ownership, RiskPath, RiskScanHit
from api.types.nodes import MAX_NODES, entity_type, resolve_nodes
from api.types.pagination import (
    keyset_cursor,
    page_size,
    parse_keyset,
    parse_offset,
)
from api.types.person import PersonType
from api.types.record import RecordConnection, RecordType
from api.types.scheme import SchemeType
from api.types.search import SearchResult, SearchResultConnection
from api.types.snapshot import ScoreSnapshotConnection, snapshot_page
from graph.identifiers import IdentifierError, parse_uscc
from graph.parties import company_key, person_key
from graph.repositories import records, search, snapshots
from graph.repositories.disputes import Kind as DisputeKind
from graph.repositories.disputes import Status as DisputeStatus
from scoring.vocabulary import ConsequenceCode
from usecases import investigation as limits

MAX_SEARCH_TEXT = search.MAX_QUERY


def _version() -> str:
    try:
        return version("credgraph")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@strawberry.type(description="The entry points for reading the credit graph.")
class Query:
    @strawberry.field(
        description="Any object by its global id; null when it does not exist. What the "
        "caller may read of it is the object's own rule (a person's fields need a person "
        "lookup, a record not published a full file).",
        permission_classes=[Open],
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="A global `id` this API gave out.")
        ],
    ) -> relay.Node | None:
        return (await resolve_nodes(info, [id]))[0]

    @strawberry.field(
        description="Objects by their global ids (at most 100), in order; null where none.",
        permission_classes=[Open],
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Global ids this API gave out, at most 100."),
        ],
    ) -> list[relay.Node | None] | None:
        if len(ids) > MAX_NODES:
            raise PublicError(f"ids: at most {MAX_NODES} at once")
        return await resolve_nodes(info, ids)

    @strawberry.field(
        description="The version of the credgraph service answering.", permission_classes=[Open]
    )
    def service_version(self) -> str:
        return _version()

    @strawberry.field(
        description="A company by its key (`Company.key`: a USCC, or `<jurisdiction>:<registry "
        "number>` for a company registered elsewhere), its USCC or its registration number "
        "(give exactly one). Null when the registry does not hold it.",
        permission_classes=[Open],
    )
    async def company(
        self,
        info: Info,
        uscc: Annotated[
            str | None, strawberry.argument(description="The 18-character USCC.")
        ] = None,
        registration_number: Annotated[
            str | None,
            strawberry.argument(description="The business registration number (注册号)."),
        ] = None,
        key: Annotated[
            str | None,
            strawberry.argument(description="`HK:1234567`, `KY:MC-123456` or a USCC."),
        ] = None,
    ) -> CompanyType | None:
        if sum(arg is not None for arg in (uscc, registration_number, key)) != 1:
            raise PublicError("give exactly one of key, uscc and registrationNumber")
        if uscc is not None or key is not None:
            try:
                code = company_key(key) if key is not None else parse_uscc(uscc or "").code
            except IdentifierError as exc:
                raise PublicError(f"{'key' if key is not None else 'uscc'}: {exc}") from None
            # With what the selection asks about the company, in one statement.
            found = await prefetch.company(info, code)
        else:
            number = (registration_number or "").strip().upper()
            found = await info.context.loaders.company_by_registration.load(number)
        return CompanyType.of(found) if found else None

    @strawberry.field(
        description="A person by their identity document's number and name together: null "
        "when the two do not match one person (never which of them failed). `idNumber` is a "
        "resident identity number, or another document's number with `idType` (and "
        "`nationality` for a passport), or a person's key (`passport:US:E12345678`). The name "
        "is required for roles that may not see whole identity numbers; their misses are "
        "audited and limited per key (CREDGRAPH_LOOKUP_MISSES an hour, then 429).",
        permission_classes=[PersonLookup],
    )
    async def person(
        self,
        info: Info,
        id_number: Annotated[
            str,
            strawberry.argument(
                description="The document's number, or a person's key (`passport:US:E12345678`)."
            ),
        ],
        name: Annotated[
            str | None,
            strawberry.argument(description="The person's name as registered."),
        ] = None,
        id_type: Annotated[
            IdType | None,
            strawberry.argument(description="The document `idNumber` belongs to."),
        ] = None,
        nationality: Annotated[
            str | None,
            strawberry.argument(description="A passport's issuing country (ISO 3166-1 alpha-2)."),
        ] = None,
    ) -> PersonType | None:
        try:
            number = person_key(id_number, id_type.value if id_type else None, nationality)
        except IdentifierError as exc:
            field = "nationality" if "nationality" in str(exc) else "idNumber"
            raise PublicError(f"{field}: {exc}") from None
        found = await find_person(info, number, name)
        if found is None:
            return None
        return PersonType.of(found)

    @strawberry.field(
        description="Ranked search by a name fragment, a legal representative's name, a USCC "
        "prefix, a registration number, or (for roles that see whole identity numbers) an "
        "identity number; tolerates a typo. At most 200 results. People are found only by "
        "roles that may look them up; `kind: ANY` finds companies alone for the others.",
        permission_classes=[SearchAccess],
    )
    async def search(
        self,
        info: Info,
        query: Annotated[
            str,
            strawberry.argument(
                description="What to look for: a name or part of one, a legal representative's "
                "name, a USCC or its prefix, a registration number or an identity number; at "
                "most 100 characters."
            ),
        ],
        kind: Annotated[
            SearchKind, strawberry.argument(description="Which entities to return.")
        ] = SearchKind.ANY,
        first: First = 20,
        after: After = None,
    ) -> SearchResultConnection | None:
        text = query.strip()
        if not text:
            raise PublicError("query: must not be empty")
        if len(text) > MAX_SEARCH_TEXT:
            raise PublicError(f"query: at most {MAX_SEARCH_TEXT} characters")
        size = page_size(first)
        start = parse_offset(after)
        excluded: list[SearchKind] = []
        if kind is SearchKind.ANY and not allowed(info, Can.LOOK_UP_PERSONS):
            kind = SearchKind.COMPANY  # the public finds companies only, and is told so
            excluded.append(SearchKind.PERSON)
        by_number = allowed(info, Can.SEE_ID_NUMBERS)  # SearchAccess refused a number otherwise
        graph = info.context.graph
        hits = await search.search(graph, text, kind, search.MAX_RESULTS, by_id_number=by_number)
        window = await search.entities(graph, hits[start : start + size])
        nodes = [
            SearchResult(
                entity=entity_type(entity),
                score=round(hit.score, 4),
                matched_on=hit.matched_on,
                via=hit.via,
            )
            for hit, entity in window
        ]
        answer = SearchResultConnection.page(
            nodes, start=start, total=len(hits), has_next=start + size < len(hits)
        )
        answer.excluded_kinds = excluded
        return answer

    @strawberry.field(
        description="The entities whose current stored score under a scheme puts them on its "
        "blacklist, each with the reasons. A scheme for people needs a full-file reader.",
        permission_classes=[BlacklistAccess],
    )
    async def blacklist(
        self,
        info: Info,
        scheme: Annotated[str, strawberry.argument(description="The scheme's id (`Scheme.id`).")],
        first: First = 20,
        after: After = None,
    ) -> ScoreSnapshotConnection | None:
        installed = info.context.schemes
        if scheme not in installed:
            raise PublicError(f"scheme: no scheme {scheme!r}; installed: {', '.join(installed)}")
        size, start = page_size(first), parse_offset(after)
        found, total = await snapshots.blacklist(info.context.graph, scheme, start, size)
        return snapshot_page(found, total, start)

    @strawberry.field(
        description="The installed scoring schemes, with their rules and bands.",
        permission_classes=[Open],
    )
    def schemes(self, info: Info) -> list[SchemeType]:
        installed = info.context.schemes
        return [SchemeType.of(installed[key]) for key in sorted(installed)]

    @strawberry.field(
        description="Whether an entity may have a privilege, or is under a restriction, "
        "by a scheme's consequences (`DEPOSIT_FREE_RENTAL`, `AIR_TRAVEL`, `BANK_LOAN` ...).",
        permission_classes=[EligibilityAccess],
    )
    async def eligibility(
        self,
        info: Info,
        id: EntityId,
        consequence: Annotated[
            ConsequenceCode,
            strawberry.argument(description="The restriction or privilege asked about."),
        ],
        scheme: SchemeId = None,
        as_of: AsOf = None,
    ) -> Eligibility | None:
        return await decide_eligibility(info, id, consequence, scheme, as_of)

    @strawberry.field(
        description="The newest published warning records across the registry, as a public "
        "announcement page lists them (subject, case number, cause, date, penalty). "
        "Companies' records for everyone; people's too for full-file readers.",
        permission_classes=[Open],
    )
    async def publicity(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        since: Annotated[
            date | None,
            strawberry.argument(description="Only records decided on or after this day."),
        ] = None,
    ) -> RecordConnection | None:
        size = page_size(first)
        cursor = parse_keyset(after)
        found = await records.publicity(
            info.context.graph,
            since=since,
            after=cursor,
            limit=size + 1,
            companies_only=not allowed(info, Can.READ_FULL_FILES),
        )
        return RecordConnection.page(
            [RecordType.of(r) for r in found[:size]],
            total=None,
            has_next=len(found) > size,
            has_previous=cursor is not None,
            cursor=lambda _, r: keyset_cursor(r.model.decided_on, r.model.record_id),
        )

    @strawberry.field(
        description="Paths between two entities over confirmed relationships, shortest first "
        "and, among paths of one length, the riskiest first. Empty when none is within "
        "`maxHops` (at most 6).",
        permission_classes=[needs(Can.INVESTIGATE)],
    )
    async def risk_paths(
        self,
        info: Info,
        from_: Annotated[
            strawberry.ID,
            strawberry.argument(name="from", description="The global `id` of the start."),
        ],
        to: Annotated[
            strawberry.ID, strawberry.argument(description="The global `id` of the end.")
        ],
        max_hops: Annotated[
            int,
            strawberry.argument(
                description=f"The longest path to look for, 1 to {limits.MAX_PATH_HOPS} links."
            ),
        ] = 4,
        rel_types: RelTypes = None,
        first: Annotated[
            int,
            strawberry.argument(description=f"How many paths to return, 1 to {limits.MAX_PATHS}."),
        ] = 5,
    ) -> list[RiskPath] | None:
        return await investigation.risk_paths(info, from_, to, max_hops, rel_types, first)

    @strawberry.field(
        description="The entities within `hops` links of one (at most 3) and the links among "
        "them, at most `limit` entities, ready for drawing. Hubs are drawn, not expanded.",
        permission_classes=[needs(Can.INVESTIGATE)],
    )
    async def linkage(
        self,
        info: Info,
        id: EntityId,
        hops: Annotated[
            int,
            strawberry.argument(
                description=f"How many links out to go, 1 to {limits.MAX_LINKAGE_HOPS}."
            ),
        ] = 2,
        rel_types: RelTypes = None,
        limit: Annotated[
            int,
            strawberry.argument(
                description=f"The most entities to return, 1 to {limits.MAX_LINKAGE_LIMIT}."
            ),
        ] = 200,
    ) -> Linkage | None:
        return await investigation.linkage(info, id, hops, rel_types, limit)

    @strawberry.field(
        description="What connects two entities: a direct link, a party linked to both, or a "
        "registered address or phone both companies share.",
        permission_classes=[needs(Can.INVESTIGATE)],
    )
    async def common_links(
        self,
        info: Info,
        a: Annotated[strawberry.ID, strawberry.argument(description="One entity's global `id`.")],
        b: Annotated[
            strawberry.ID, strawberry.argument(description="The other entity's global `id`.")
        ],
    ) -> list[CommonLink] | None:
        return await investigation.common_links(info, a, b)

    @strawberry.field(
        description="The ultimate owners of a company by equity penetration (up to 10 levels), "
        "with an effective stake of at least `minStake`, largest first. Walks through holders "
        "registered anywhere (a Hong Kong holding company, a Cayman parent) to the people or "
        "companies at the top.",
        permission_classes=[needs(Can.INVESTIGATE)],
    )
    async def ultimate_owners(
        self,
        info: Info,
        uscc: Annotated[
            str,
            strawberry.argument(
                description="The company's key (`Company.key`): its USCC, or "
                "`<jurisdiction>:<registry number>` for a company registered elsewhere."
            ),
        ],
        min_stake: Annotated[
            float,
            strawberry.argument(
                description="The smallest effective stake to report, from 0 to 1 (0.1: 10%)."
            ),
        ] = 0.1,
    ) -> list[Ownership] | None:
        return await investigation.ultimate_owners(info, uscc, min_stake)

    @strawberry.field(
        description="Entities within `hops` links (at most 3) with warning records that count "
        "or on a blacklist: nearest first, then blacklisted, then the gravest.",
        permission_classes=[needs(Can.INVESTIGATE)],
    )
    async def risk_scan(
        self,
        info: Info,
        id: EntityId,
        hops: Annotated[
            int,
            strawberry.argument(
                description=f"How many links out to scan, 1 to {limits.MAX_SCAN_HOPS}."
            ),
        ] = 2,
        first: Annotated[
            int,
            strawberry.argument(
                description=f"How many hits to return, 1 to {limits.MAX_SCAN_RESULTS}."
            ),
        ] = 50,
    ) -> list[RiskScanHit] | None:
        return await investigation.risk_scan(info, id, hops, first)

    @strawberry.field(
        description="The entities the caller's API key watches, oldest watch first.",
        permission_classes=[needs(Can.WATCH)],
    )
    async def watchlist(self, info: Info) -> list[WatchEntry] | None:
        return await watching.watchlist(info)

    @strawberry.field(
        description="Disputes and restoration requests, newest first: all of them for "
        "registrars, a subject's own for a subject key. `overdue`: only open ones past their "
        "due day.",
        permission_classes=[needs(Can.DISPUTE)],
    )
    async def disputes(
        self,
        info: Info,
        status: Annotated[
            DisputeStatus | None,
            strawberry.argument(description="Only disputes in this state; null: any."),
        ] = None,
        kind: Annotated[
            DisputeKind | None,
            strawberry.argument(description="Only disputes or only restoration requests."),
        ] = None,
        overdue: Annotated[
            bool,
            strawberry.argument(description="Only open ones past their due day."),
        ] = False,
        first: First = 20,
        after: After = None,
    ) -> dispute_resolvers.DisputeConnection | None:
        return await dispute_resolvers.dispute_list(info, status, kind, overdue, first, after)

    @strawberry.field(
        description="The audit log, newest first (auditors): every write, and every read of "
        "a person's file by a relying party or an investigator. `subject`: a USCC or identity "
        "number, to see only the entries that touched it.",
        permission_classes=[needs(Can.READ_AUDIT)],
    )
    async def audit_log(
        self,
        info: Info,
        first: First = 50,
        after: After = None,
        subject: Annotated[
            str | None,
            strawberry.argument(
                description="A USCC, identity number or party key: only the entries that "
                "touched it."
            ),
        ] = None,
    ) -> auditing.AuditEntryConnection | None:
        return await auditing.audit_log(info, first, after, subject)

    @strawberry.field(
        description="The audit chain checked from its first entry (auditors): the first "
        "edited, missing or reordered entry is named.",
        permission_classes=[needs(Can.READ_AUDIT)],
    )
    async def audit_verification(self, info: Info) -> auditing.AuditVerification | None:
        return await auditing.verify_chain(info)

    @strawberry.field(
        description="Edits behind the API's back (auditors): each stored object that no "
        "audited write accounts for, with the fields that differ (reads the whole graph).",
        permission_classes=[needs(Can.READ_AUDIT)],
    )
    async def audit_state_verification(
        self, info: Info, first: First = 100
    ) -> auditing.AuditStateVerification | None:
        return await auditing.verify_state(info, first)

    @strawberry.field(
        description="Who read the file of the person or company a subject key is bound to, "
        "newest first.",
        permission_classes=[needs(Can.SEE_WHO_LOOKED)],
    )
    async def who_looked_at_me(
        self, info: Info, first: First = 50, after: After = None
    ) -> list[auditing.FileRead] | None:
        return await auditing.who_looked(info, first, after)
