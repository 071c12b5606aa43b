"""``Scheme``: a scoring scheme as data (levels, rules, consequences, propagation)."""

from __future__ import annotations

import strawberry

from api.permissions import Open, fields_need
from api.types.enums import Category, EntityKind, Polarity, RelType, Severity
from scoring import scheme as model
from scoring.vocabulary import ConsequenceCode, ConsequenceKind, Direction, LevelName


@fields_need(Open)
@strawberry.type(
    description="A text in the registry's two languages, kept with the catalogue and the schemes."
)
class LocalizedText:
    en: str = strawberry.field(description="In English.")
    zh: str = strawberry.field(description="In Chinese (简体中文).")

    @classmethod
    def of(cls, en: str | None, zh: str | None) -> LocalizedText:
        """Either language stands in for the other when only one is given."""
        return cls(en=en or zh or "", zh=zh or en or "")


@fields_need(Open)
@strawberry.type(description="A band of points and the level it gives.")
class SchemeLevel:
    name: LevelName = strawberry.field(description="The level this band gives.")
    min: int | None = strawberry.field(description="Lowest value in the band; null: no bound.")
    max: int | None = strawberry.field(description="Highest value in the band; null: no bound.")
    meaning: LocalizedText = strawberry.field(
        description="What the level says about the subject, and what usually follows from it."
    )

    @classmethod
    def of(cls, level: model.Level) -> SchemeLevel:
        return cls(
            name=LevelName(level.name),
            min=level.min,
            max=level.max,
            meaning=LocalizedText.of(level.meaning, level.meaning_zh),
        )


@fields_need(Open)
@strawberry.type(description="How many points records of one code (or kind) give.")
class SchemeRule:
    id: str = strawberry.field(
        description="The rule's id (`I-JUD-001`), named by every contribution it gives."
    )
    code: str | None = strawberry.field(description="The record code; null for a fallback rule.")
    category: Category | None = strawberry.field(
        description="For a fallback rule: the category of record it scores; null: any."
    )
    severity: Severity | None = strawberry.field(
        description="For a fallback rule: the severity it scores; null: any."
    )
    polarity: Polarity | None = strawberry.field(
        description="For a fallback rule: whether it scores good or warning records."
    )
    points: int = strawberry.field(
        description="The points an active record under it gives (negative for warnings)."
    )
    validity_months: int | None = strawberry.field(
        description="How long a record counts; null: by the record's severity (Scheme.validity)."
    )
    blacklist: bool = strawberry.field(description="An active record of this rule blacklists.")
    title: str | None = strawberry.field(description="The rule's title in English.")
    title_text: LocalizedText = strawberry.field(
        description="The rule's title in both languages (a code's rule is titled as the code)."
    )

    @classmethod
    def of(cls, rule: model.Rule, scheme: model.Scheme) -> SchemeRule:
        return cls(
            id=rule.id,
            code=rule.code,
            category=Category(rule.category) if rule.category else None,
            severity=Severity(rule.severity) if rule.severity else None,
            polarity=Polarity(rule.polarity) if rule.polarity else None,
            points=rule.points,
            validity_months=rule.validity_months
            or (scheme.validity[rule.severity] if rule.severity else None),
            blacklist=rule.blacklist,
            title=rule.title,
            title_text=LocalizedText.of(rule.title or rule.id, rule.title_zh or rule.id),
        )


@fields_need(Open)
@strawberry.type(description="A restriction or privilege, and what sets it.")
class SchemeConsequence:
    code: ConsequenceCode = strawberry.field(
        description="Its stable code (`Query.eligibility` asks about one by it)."
    )
    kind: ConsequenceKind = strawberry.field(description="A restriction or a privilege.")
    levels: list[LevelName] = strawberry.field(description="The levels that set it.")
    blacklisted: bool = strawberry.field(description="Whether the blacklist sets it.")
    description: str = strawberry.field(description="What it means for the subject, in English.")
    title_text: LocalizedText = strawberry.field(description="Its short name in both languages.")
    description_text: LocalizedText = strawberry.field(
        description="What it means for the subject, in both languages."
    )

    @classmethod
    def of(cls, c: model.Consequence) -> SchemeConsequence:
        return cls(
            code=ConsequenceCode(c.name),
            kind=ConsequenceKind(c.kind),
            levels=[LevelName(level) for level in c.levels],
            blacklisted=c.blacklisted,
            description=c.description,
            title_text=consequence_title(c),
            description_text=LocalizedText.of(c.description, c.description_zh),
        )


@fields_need(Open)
@strawberry.type(description="Months a record counts after its decision, by severity.")
class SchemeValidity:
    minor: int = strawberry.field(description="Months for a minor record.")
    general: int = strawberry.field(description="Months for a general record.")
    serious: int = strawberry.field(description="Months for a serious record.")


@fields_need(Open)
@strawberry.type(description="How much of an entity's risk crosses one kind of link.")
class PropagationEdge:
    rel: RelType = strawberry.field(description="The relationship type it crosses.")
    direction: Direction = strawberry.field(
        description="FORWARD: the start's risk reaches the end; BACKWARD: the reverse."
    )
    weight: float = strawberry.field(
        description="The share of the risk that crosses one such link."
    )
    by_stake: bool = strawberry.field(description="Multiplied by the shareholding's stake.")


@fields_need(Open)
@strawberry.type(description="Propagation across confirmed relationships.")
class SchemePropagation:
    decay: float = strawberry.field(description="Factor for each hop after the first.")
    max_hops: int = strawberry.field(description="The most links risk travels.")
    edges: list[PropagationEdge] = strawberry.field(
        description="The links it crosses, each with its weight."
    )


@fields_need(Open)
@strawberry.type(name="Scheme", description="A scoring scheme, versioned, as data.")
class SchemeType:
    id: str = strawberry.field(
        description="Its id (`individual`, `enterprise`): the `scheme` argument of other fields."
    )
    version: str = strawberry.field(
        description="Its version; every contribution names the version whose rule it used."
    )
    title: str = strawberry.field(description="Its title in English.")
    subjects: list[EntityKind] = strawberry.field(description="Whom it scores.")
    base: int = strawberry.field(description="The points every subject starts with.")
    levels: list[SchemeLevel] = strawberry.field(description="Its bands of points, best first.")
    validity: SchemeValidity = strawberry.field(
        description="How long records count by severity, where a rule says nothing."
    )
    rules: list[SchemeRule] = strawberry.field(
        description="How many points each kind of record gives."
    )
    blacklist_levels: list[LevelName] = strawberry.field(
        description="The levels that put a subject on the blacklist."
    )
    consequences: list[SchemeConsequence] = strawberry.field(
        description="The restrictions and privileges its levels and blacklist set."
    )
    propagation: SchemePropagation = strawberry.field(
        description="How risk crosses confirmed links."
    )
    max_positive: int | None = strawberry.field(description="Cap on the sum of good points.")

    @classmethod
    def of(cls, s: model.Scheme) -> SchemeType:
        return cls(
            id=s.id,
            version=s.version,
            title=s.title,
            subjects=[
                EntityKind.PERSON if k == "person" else EntityKind.COMPANY for k in s.subjects
            ],
            base=s.base,
            levels=[SchemeLevel.of(lv) for lv in s.levels],
            validity=SchemeValidity(**s.validity),
            rules=[SchemeRule.of(rule, s) for rule in s.rules],
            blacklist_levels=[LevelName(level) for level in s.blacklist_levels],
            consequences=[SchemeConsequence.of(c) for c in s.consequences],
            propagation=SchemePropagation(
                decay=s.propagation.decay,
                max_hops=s.propagation.max_hops,
                edges=[
                    PropagationEdge(
                        rel=RelType(e.rel),
                        direction=Direction(e.direction),
                        weight=e.weight,
                        by_stake=e.by_stake,
                    )
                    for e in s.propagation.edges
                ],
            ),
            max_positive=s.max_positive,
        )


def consequence_title(c: model.Consequence) -> LocalizedText:
    """A consequence's short name; its ``name`` in words when the scheme gives none."""
    fallback = c.name.replace("_", " ")
    return LocalizedText.of(c.title or fallback, c.title_zh or c.title or fallback)
