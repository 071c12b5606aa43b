"""``Score``: a subject's value and level under a scheme, with every contribution explained."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from starlette.websockets import WebSocket

from api.context import Info
from api.permissions import Inherited, fields_need
from api.types.args import After, First
from api.types.enums import RelType
from api.types.pagination import Connection, page_size, parse_offset
from api.types.record import RecordType, ScoringStatus
from api.types.scheme import LocalizedText, SchemeRule, SchemeType, consequence_title
from graph.models import EntityKind
from scoring import engine, rounding
from scoring.scheme import Scheme
from scoring.vocabulary import ConsequenceCode, ConsequenceKind, Direction, LevelName

if TYPE_CHECKING:
    from api.types.entity import EntityType

LazyEntity = Annotated["EntityType", strawberry.lazy("api.types.entity")]


@fields_need(Inherited)
@strawberry.type(description="One hop of a propagation path, from the source towards the subject.")
class PathStep:
    rel: RelType = strawberry.field(description="The relationship type crossed.")
    direction: Direction = strawberry.field(
        description="FORWARD: along the relationship's arrow; BACKWARD: against it."
    )
    stake: float | None = strawberry.field(
        description="For SHAREHOLDER_OF: the share held, which multiplies the weight."
    )
    entity_key: strawberry.Private[str]

    @strawberry.field(description="The entity this hop arrives at.")
    async def entity(self, info: Info) -> LazyEntity | None:
        from api.types.nodes import entity_type

        found = await info.context.loaders.entity.load(self.entity_key)
        return entity_type(found) if found else None


@fields_need(Inherited)
@strawberry.type(description="Points from one record (own or propagated) or from a cap.")
class Contribution:
    kind: engine.ContributionKind = strawberry.field(
        description="Where the points come from: an own record, a linked party's, or a cap."
    )
    points: float = strawberry.field(
        description="The points in cents, as the file shows them: the contributions of a score "
        "add up exactly to its value less its base (largest-remainder rounding of the exact "
        "points, so none is a cent or more away from its exact figure)."
    )
    exact_points: float = strawberry.field(
        description="The points unrounded, as the scheme's rule, weights and decay give them."
    )
    status: ScoringStatus = strawberry.field(
        description="Whether its record counts today (COUNTING), and if not, why not; CAPPED "
        "for a cap's contribution."
    )
    decided_on: date | None = strawberry.field(
        description="The day the record was decided; null for a cap."
    )
    expires_on: date | None = strawberry.field(
        description="The day the record stops counting; null when it never does."
    )
    weight: float | None = strawberry.field(
        description="For PROPAGATED: edge weights, stakes and decay multiplied along the path."
    )
    path: list[PathStep] = strawberry.field(description="For PROPAGATED: the path it came along.")
    rule: SchemeRule | None = strawberry.field(description="The rule and its scheme version.")
    scheme_version: str = strawberry.field(
        description="The version of the scheme whose rule gave the points."
    )
    record_id: str | None = strawberry.field(
        description="The record behind the points (`Record.recordId`); null for a cap."
    )
    source_key: strawberry.Private[str | None]

    @strawberry.field(description="The record behind the points.")
    async def record(self, info: Info) -> RecordType | None:
        if self.record_id is None:
            return None
        found = await info.context.loaders.record.load(self.record_id)
        # The score's own records were read with the score; a propagated record belongs to
        # another entity, and its own rule decides.
        own = self.kind is engine.ContributionKind.RECORD
        return RecordType.of(found, cleared=own) if found else None

    @strawberry.field(description="For PROPAGATED: the entity whose record it is.")
    async def source(self, info: Info) -> LazyEntity | None:
        from api.types.nodes import entity_type

        if self.source_key is None:
            return None
        found = await info.context.loaders.entity.load(self.source_key)
        return entity_type(found) if found else None


@fields_need(Inherited)
@strawberry.type(
    name="ContributionConnection",
    description="A page of contributions: own records first, newest first.",
)
class ContributionConnection(Connection[Contribution]):
    pass


@fields_need(Inherited)
@strawberry.type(description="A restriction or privilege and whether it is in force.")
class ConsequenceState:
    code: ConsequenceCode = strawberry.field(description="The consequence's stable code.")
    kind: ConsequenceKind = strawberry.field(description="A restriction or a privilege.")
    in_force: bool = strawberry.field(
        description="Whether it applies to the subject on the score's day."
    )
    reasons: list[str] = strawberry.field(description="What sets it (a level, the blacklist).")
    description: str = strawberry.field(description="What it means for the subject, in English.")
    title_text: LocalizedText = strawberry.field(description="Its short name in both languages.")
    description_text: LocalizedText = strawberry.field(
        description="What it means for the subject, in both languages."
    )


@fields_need(Inherited)
@strawberry.type(name="Score", description="An explained score: value = base + every contribution.")
class ScoreType:
    value: float = strawberry.field(
        description="The score in cents: base + the contributions' `points`, exactly."
    )
    base: int = strawberry.field(description="The points every subject of the scheme starts with.")
    level: LevelName = strawberry.field(description="The level the value's band gives.")
    scheme: SchemeType = strawberry.field(description="The scheme it was computed under.")
    as_of: date = strawberry.field(description="The day the score describes.")
    computed_at: datetime = strawberry.field(description="When it was computed.")
    blacklisted: bool = strawberry.field(
        description="Whether the subject is on the scheme's blacklist."
    )
    blacklist_reasons: list[str] = strawberry.field(
        description="Why the subject is on the blacklist (a level, records under blacklist rules)."
    )
    consequences: list[ConsequenceState] = strawberry.field(
        description="Every consequence of the scheme, in force or not."
    )
    result: strawberry.Private[engine.Score]
    scheme_model: strawberry.Private[Scheme]

    shown_points: strawberry.Private[tuple[Decimal, ...] | None] = None

    @classmethod
    def of(
        cls,
        score: engine.Score,
        scheme: Scheme,
        computed_at: datetime,
        shown: tuple[Decimal, ...] | None = None,
    ) -> ScoreType:
        defined = {c.name: c for c in scheme.consequences}
        return cls(
            value=score.value,
            base=score.base,
            level=LevelName(score.level),
            scheme=SchemeType.of(scheme),
            as_of=score.as_of,
            computed_at=computed_at,
            blacklisted=score.blacklisted,
            blacklist_reasons=list(score.blacklist_reasons),
            consequences=[
                ConsequenceState(
                    code=ConsequenceCode(c.name),
                    kind=ConsequenceKind(c.kind),
                    in_force=c.in_force,
                    reasons=list(c.reasons),
                    description=c.description,
                    title_text=consequence_title(defined[c.name]),
                    description_text=LocalizedText.of(
                        defined[c.name].description, defined[c.name].description_zh
                    ),
                )
                for c in score.consequences
            ],
            result=score,
            scheme_model=scheme,
            shown_points=shown,
        )

    @strawberry.field(description="The value unrounded: base + the contributions' `exactPoints`.")
    def exact_value(self) -> float:
        exact = [c.points for c in self.result.contributions]
        return float(rounding.exact_sum(self.base, exact))

    @strawberry.field(description="The contributions, a page at a time.")
    def contributions(
        self, first: First = 20, after: After = None
    ) -> ContributionConnection | None:
        size = page_size(first)
        start = parse_offset(after)
        everything = self.result.contributions
        rules = {rule.id: rule for rule in self.scheme_model.rules}
        # Apportioned over every contribution, so that the pages add up, only when asked for.
        shown = self.shown_points or rounding.shown(
            self.value, self.base, [c.points for c in everything]
        )
        nodes = [
            _contribution(c, cents, rules.get(c.rule_id or ""), self.scheme_model)
            for c, cents in zip(
                everything[start : start + size], shown[start : start + size], strict=True
            )
        ]
        return ContributionConnection.page(nodes, start=start, total=len(everything))


@dataclass(frozen=True)
class Explained:
    """A subject's score as this request computed it, with the points each contribution shows."""

    score: engine.Score
    scheme: Scheme
    shown: tuple[Decimal, ...]

    def own(self, record_id: str) -> tuple[engine.Contribution, Decimal] | None:
        """The contribution of one of the subject's own records, and its points as shown."""
        for c, cents in zip(self.score.contributions, self.shown, strict=True):
            if c.kind is engine.ContributionKind.RECORD and c.record_id == record_id:
                return c, cents
        return None


async def explained(info: Info, key: str, kind: EntityKind, scheme: Scheme, day: date) -> Explained:
    """``key``'s score under ``scheme`` on ``day``, computed once per HTTP request: the file's
    score and the standing of each of its records are the same evaluation, so they agree."""
    from usecases.scores import score_of

    async def compute() -> Explained:
        score = await score_of(info.context.graph, key, kind, scheme, day)
        parts = [c.points for c in score.contributions]
        return Explained(score, scheme, tuple(rounding.shown(score.value, score.base, parts)))

    if isinstance(info.context.request, WebSocket):  # a connection's context outlives events
        return await compute()
    cache = info.context.scores
    slot = (key, scheme.id, scheme.version, day.isoformat())
    if slot not in cache:
        cache[slot] = asyncio.ensure_future(compute())
    found: Explained = await cache[slot]
    return found


def _contribution(
    c: engine.Contribution, shown: Decimal, rule: object, scheme: Scheme
) -> Contribution:
    from scoring.scheme import Rule

    return Contribution(
        kind=c.kind,
        points=float(shown),
        exact_points=c.points,
        status=ScoringStatus(c.status),
        decided_on=c.decided_on,
        expires_on=c.expires_on,
        weight=c.weight,
        path=[
            PathStep(
                rel=RelType(s.rel),
                direction=Direction(s.direction),
                stake=s.stake,
                entity_key=s.entity,
            )
            for s in c.path
        ],
        rule=SchemeRule.of(rule, scheme) if isinstance(rule, Rule) else None,
        scheme_version=c.scheme_version,
        record_id=c.record_id,
        source_key=c.source,
    )
