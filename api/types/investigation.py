"""What investigators get back: relationships, risk paths, linkage subgraphs, common links,
ultimate owners and risk scans."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.permissions import Inherited, fields_need
from api.types.described import described
from api.types.enums import RelType, Severity
from scoring.vocabulary import Direction, LevelName

if TYPE_CHECKING:
    from api.types.company import CompanyType
    from api.types.entity import EntityType
    from api.types.record import RecordType

LazyEntity = Annotated["EntityType", strawberry.lazy("api.types.entity")]
LazyCompany = Annotated["CompanyType", strawberry.lazy("api.types.company")]
LazyRecord = Annotated["RecordType", strawberry.lazy("api.types.record")]


@fields_need(Inherited)
@strawberry.type(
    description="A confirmed relationship between two entities, as the registry holds it: it "
    "goes from `startId` to `endId` (a legal representative to the company, a shareholder to "
    "the company held, a branch to its parent)."
)
class Relationship:
    type: RelType = strawberry.field(description="The relationship type.")
    start_id: strawberry.ID = strawberry.field(description="The global id of its start entity.")
    end_id: strawberry.ID = strawberry.field(description="The global id of its end entity.")
    stake: float | None = strawberry.field(description="The share held (SHAREHOLDER_OF).")
    role: str | None = strawberry.field(description="The office held (OFFICER_OF).")
    since: date | None = strawberry.field(description="When the link began, where known.")
    until: date | None = strawberry.field(description="When it ended; null while it holds.")
    provenance: str | None = strawberry.field(
        description="Where the registry learned of it (an import file, `api`)."
    )


@fields_need(Inherited)
@strawberry.type(description="A latest stored score: its value, level and blacklist standing.")
class Standing:
    scheme: str = strawberry.field(description="The scheme it was scored under.")
    value: float = strawberry.field(description="The stored score's value.")
    level: LevelName = strawberry.field(description="The level it gave.")
    blacklisted: bool = strawberry.field(description="Whether the subject is on the blacklist.")


@fields_need(Inherited)
@strawberry.type(description="An entity on a path or in a subgraph, with its latest standing.")
class GraphNode:
    id: strawberry.ID = strawberry.field(description="The entity's global id.")
    entity: LazyEntity = strawberry.field(description="The person or company.")
    hops: int = strawberry.field(description="How many links it lies from where the walk began.")
    standing: Standing | None = strawberry.field(
        description="Its latest stored score under the default scheme for its kind; null when "
        "it has never been scored (`credgraph score --all` scores everyone)."
    )


@fields_need(Inherited)
@strawberry.type(description="One link of a path, with the way it points along the path.")
class PathEdge:
    type: RelType = strawberry.field(description="The relationship type.")
    direction: Direction = strawberry.field(
        description="FORWARD when the relationship points from the earlier node to the later."
    )
    relationship: Relationship = strawberry.field(
        description="The relationship itself, with its stake, role and dates."
    )


@fields_need(Inherited)
@strawberry.type(
    description="A path between two entities over confirmed relationships, never visiting an "
    "entity twice."
)
class RiskPath:
    length: int = strawberry.field(description="How many links it has.")
    risk: float = strawberry.field(
        description="The risk along it: for every entity on it, the share of its scheme's base "
        "points it has lost (0 when at or above base), plus 1 when it is blacklisted."
    )
    nodes: list[GraphNode] = strawberry.field(description="Its entities in order, ends included.")
    edges: list[PathEdge] = strawberry.field(description="Its links in order.")


@fields_need(Inherited)
@strawberry.type(description="The neighbourhood of an entity, ready for drawing.")
class Linkage:
    nodes: list[GraphNode] = strawberry.field(description="The entities, nearest first.")
    edges: list[Relationship] = strawberry.field(description="The links among them.")
    truncated: bool = strawberry.field(
        description="True when the limit left entities out (their links were not followed)."
    )
    hubs: list[GraphNode] = strawberry.field(
        description="Entities with more links than the hub cap: drawn, but not expanded."
    )


class CommonLinkKind(Enum):
    DIRECT = "direct"
    PARTY = "party"
    ADDRESS = "address"
    PHONE = "phone"


described(
    CommonLinkKind,
    "What two entities have in common.",
    {
        CommonLinkKind.DIRECT: "They are linked themselves.",
        CommonLinkKind.PARTY: "An entity is linked to both (a shared legal representative, "
        "shareholder, officer or company).",
        CommonLinkKind.ADDRESS: "Both companies registered the same address.",
        CommonLinkKind.PHONE: "Both companies registered the same phone number.",
    },
)


@fields_need(Inherited)
@strawberry.type(description="Something that connects two entities.")
class CommonLink:
    kind: CommonLinkKind = strawberry.field(
        description="DIRECT: they are linked themselves; PARTY: an entity linked to both (a "
        "shared legal representative, shareholder, officer or company); ADDRESS and PHONE: both "
        "companies registered the same one."
    )
    entity: LazyEntity | None = strawberry.field(description="The shared party, for PARTY.")
    value: str | None = strawberry.field(description="The shared address or phone.")
    path_from_a: list[PathEdge] = strawberry.field(
        description="The links from `a` to what is shared (empty for an address or phone)."
    )
    path_from_b: list[PathEdge] = strawberry.field(
        description="The links from `b` to what is shared (empty for an address or phone)."
    )


@fields_need(Inherited)
@strawberry.type(description="One holder's stake in a company along an ownership chain.")
class ChainLink:
    holder: LazyEntity = strawberry.field(description="The holder of the stake.")
    company: LazyCompany = strawberry.field(description="The company it holds.")
    stake: float = strawberry.field(description="The share held, from 0 to 1.")


@fields_need(Inherited)
@strawberry.type(description="A chain of shareholdings from a company up to one of its owners.")
class OwnershipChain:
    stake: float = strawberry.field(description="The product of the stakes along the chain.")
    links: list[ChainLink] = strawberry.field(
        description="From the company's direct shareholder up to the owner."
    )


@fields_need(Inherited)
@strawberry.type(description="An ultimate owner of a company, found by equity penetration.")
class Ownership:
    owner: LazyEntity = strawberry.field(
        description="A person, or a company whose own shareholders the registry does not know."
    )
    effective_stake: float = strawberry.field(
        description="The product of the stakes along each chain, summed over the chains."
    )
    chains: list[OwnershipChain] = strawberry.field(
        description="Each chain of holdings from the owner down to the company."
    )
    truncated: bool = strawberry.field(
        description="True when the owner has holders above the level limit (10)."
    )


@fields_need(Inherited)
@strawberry.type(description="A risky entity near the one scanned.")
class RiskScanHit:
    node: GraphNode = strawberry.field(
        description="The entity found, with its latest standing and distance."
    )
    warnings: int = strawberry.field(description="How many active warning records it has.")
    worst_severity: Severity | None = strawberry.field(
        description="The gravest of those records; null when it has none (blacklisted only)."
    )
    records: list[LazyRecord] = strawberry.field(
        description="Its active warning records, gravest and newest first (at most 5)."
    )
