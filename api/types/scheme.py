"""``Scheme``: a scoring scheme as data (levels, rules, consequences, propagation)."""

from __future__ import annotations

import strawberry

from api.permissions import Open, fields_need
from scoring import scheme as model


@fields_need(Open)
@strawberry.type(description="A band of points and the level it gives.")
class SchemeLevel:
    name: str
    min: int | None = strawberry.field(description="Lowest value in the band; null: no bound.")
    max: int | None = strawberry.field(description="Highest value in the band; null: no bound.")


@fields_need(Open)
@strawberry.type(description="How many points records of one code (or kind) give.")
class SchemeRule:
    id: str
    code: str | None = strawberry.field(description="The record code; null for a fallback rule.")
    category: str | None
    severity: str | None
    polarity: str | None
    points: int
    validity_months: int | None = strawberry.field(
        description="How long a record counts; null: by the record's severity (Scheme.validity)."
    )
    blacklist: bool = strawberry.field(description="An active record of this rule blacklists.")
    title: str | None

    @classmethod
    def of(cls, rule: model.Rule, scheme: model.Scheme) -> SchemeRule:
        return cls(
            id=rule.id,
            code=rule.code,
            category=rule.category,
            severity=rule.severity,
            polarity=rule.polarity,
            points=rule.points,
            validity_months=rule.validity_months
            or (scheme.validity[rule.severity] if rule.severity else None),
            blacklist=rule.blacklist,
            title=rule.title,
        )


@fields_need(Open)
@strawberry.type(description="A restriction or privilege, and what sets it.")
class SchemeConsequence:
    name: str
    kind: str = strawberry.field(description="restriction or privilege")
    levels: list[str] = strawberry.field(description="The levels that set it.")
    blacklisted: bool = strawberry.field(description="Whether the blacklist sets it.")
    description: str


@fields_need(Open)
@strawberry.type(description="Months a record counts after its decision, by severity.")
class SchemeValidity:
    minor: int
    general: int
    serious: int


@fields_need(Open)
@strawberry.type(description="How much of an entity's risk crosses one kind of link.")
class PropagationEdge:
    rel: str
    direction: str = strawberry.field(
        description="forward: the start's risk reaches the end; backward: the reverse."
    )
    weight: float
    by_stake: bool = strawberry.field(description="Multiplied by the shareholding's stake.")


@fields_need(Open)
@strawberry.type(description="Propagation across confirmed relationships.")
class SchemePropagation:
    decay: float = strawberry.field(description="Factor for each hop after the first.")
    max_hops: int
    edges: list[PropagationEdge]


@fields_need(Open)
@strawberry.type(name="Scheme", description="A scoring scheme, versioned, as data.")
class SchemeType:
    id: str
    version: str
    title: str
    subjects: list[str] = strawberry.field(description="Whom it scores: person, company.")
    base: int = strawberry.field(description="The points every subject starts with.")
    levels: list[SchemeLevel]
    validity: SchemeValidity
    rules: list[SchemeRule]
    blacklist_levels: list[str]
    consequences: list[SchemeConsequence]
    propagation: SchemePropagation
    max_positive: int | None = strawberry.field(description="Cap on the sum of good points.")

    @classmethod
    def of(cls, s: model.Scheme) -> SchemeType:
        return cls(
            id=s.id,
            version=s.version,
            title=s.title,
            subjects=list(s.subjects),
            base=s.base,
            levels=[SchemeLevel(name=lv.name, min=lv.min, max=lv.max) for lv in s.levels],
            validity=SchemeValidity(**s.validity),
            rules=[SchemeRule.of(rule, s) for rule in s.rules],
            blacklist_levels=list(s.blacklist_levels),
            consequences=[
                SchemeConsequence(
                    name=c.name,
                    kind=c.kind,
                    levels=list(c.levels),
                    blacklisted=c.blacklisted,
                    description=c.description,
                )
                for c in s.consequences
            ],
            propagation=SchemePropagation(
                decay=s.propagation.decay,
                max_hops=s.propagation.max_hops,
                edges=[
                    PropagationEdge(
                        rel=e.rel, direction=e.direction, weight=e.weight, by_stake=e.by_stake
                    )
                    for e in s.propagation.edges
                ],
            ),
            max_positive=s.max_positive,
        )
