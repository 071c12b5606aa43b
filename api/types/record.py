"""``Record``: one piece of credit information about a person or a company, with its source."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.context import Info
from api.permissions import Inherited, RecordField, fields_need
from api.types.args import SchemeId
from api.types.described import described
from api.types.enums import Category, Polarity, RecordStatus, Severity
from api.types.pagination import Connection, page_size, parse_offset
from api.types.scheme import LocalizedText, SchemeRule
from graph import models
from graph.repositories.records import RecordFilter

if TYPE_CHECKING:
    from api.types.entity import EntityType


class ScoringStatus(StrEnum):
    """Whether a record counts in its subject's score today, and if not, why not."""

    COUNTING = "active"
    EXPIRED = "expired"
    DISPUTED = "disputed"
    REMOVED = "removed"
    RESTORED = "restored"
    UNSCORED = "unscored"
    CAPPED = "capped"


described(
    ScoringStatus,
    ScoringStatus.__doc__ or "",
    {
        ScoringStatus.COUNTING: "It counts: in force, not disputed, scored by a rule.",
        ScoringStatus.EXPIRED: "Its rule's validity has run out (credit restoration by time).",
        ScoringStatus.DISPUTED: "Under dispute, and the scheme suspends disputed records.",
        ScoringStatus.REMOVED: "Removed after a dispute.",
        ScoringStatus.RESTORED: "Ended early by credit restoration (信用修复).",
        ScoringStatus.UNSCORED: "No rule of the scheme scores it.",
        ScoringStatus.CAPPED: "A cap's contribution: points the scheme's cap took back.",
    },
)


@fields_need(Inherited)
@strawberry.type(
    description="What a record does to its subject's score today: the same figures as its "
    "contribution in the subject's `score` (the one with the same `recordId`)."
)
class RecordStanding:
    status: ScoringStatus = strawberry.field(
        description="Whether it counts today, and if not, why not."
    )
    points: float = strawberry.field(
        description="The points it adds or takes today, in cents, as the score's contribution "
        "shows them (0 when it does not count)."
    )
    exact_points: float = strawberry.field(description="The points unrounded.")
    rule: SchemeRule | None = strawberry.field(
        description="The rule that scores it, with its title and scheme version."
    )
    scheme_version: str = strawberry.field(description="The version of the scheme that scored it.")
    counts_until: date | None = strawberry.field(
        description="The day it stops counting (for EXPIRED: the day it stopped); null when "
        "no rule scores it."
    )


@fields_need(RecordField)
@strawberry.type(
    name="Record",
    description="A good or warning record about an entity: what happened, who decided it, when, "
    "and the penalty or distinction it carried.",
)
class RecordType(relay.Node):
    node_key: relay.NodeID[str]
    record_id: str = strawberry.field(description="The record's id at its source.")
    category: Category = strawberry.field(description="The area it belongs to.")
    code: str = strawberry.field(description="The kind of record, from the code catalogue.")
    polarity: Polarity = strawberry.field(description="Good or warning.")
    severity: Severity = strawberry.field(description="How grave it is.")
    authority: str = strawberry.field(description="The issuing authority.")
    case_number: str | None = strawberry.field(description="The authority's case number.")
    decided_on: date = strawberry.field(description="The date of the decision.")
    description: str | None = strawberry.field(description="The cause, as published.")
    penalty: str | None = strawberry.field(description="The penalty or measure imposed.")
    status: RecordStatus = strawberry.field(
        description="Its stored status (active, disputed, expired, removed, restored)."
    )
    code_title: LocalizedText = strawberry.field(
        description="What the code means, in both languages (the code catalogue's title)."
    )
    model: strawberry.Private[models.Record]
    # True when the field that returned this record already decided the caller may read it.
    cleared: strawberry.Private[bool] = False

    @classmethod
    def of(cls, r: models.Record, *, cleared: bool = False) -> RecordType:
        return cls(
            cleared=cleared,
            node_key=r.record_id,
            record_id=r.record_id,
            category=r.category,
            code=r.code,
            polarity=r.polarity,
            severity=r.severity,
            authority=r.authority,
            case_number=r.case_number,
            decided_on=r.decided_on,
            description=r.description,
            penalty=r.penalty,
            status=r.status,
            code_title=code_title(r.code),
            model=r,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one signature for strawberry's overloads
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RecordType | None]:
        found = await info.context.loaders.record.load_many(list(node_ids))
        return [cls.of(r) if r else None for r in found]

    @strawberry.field(description="The person or company the record concerns.")
    async def subject(
        self, info: Info
    ) -> Annotated[EntityType, strawberry.lazy("api.types.entity")] | None:
        from api.types.nodes import entity_type

        found = await info.context.loaders.entity.load(self.model.subject_key)
        return entity_type(found) if found else None

    @strawberry.field(
        description="The day the record stops counting (and being published) under the scheme "
        "(by default the one for its subject's kind); null when no rule scores it."
    )
    async def expires_on(self, info: Info, scheme: SchemeId = None) -> date | None:
        from scoring.engine import RecordFact, expires_on

        subject = await info.context.loaders.entity.load(self.model.subject_key)
        if subject is None:
            return None
        chosen = info.context.schemes.choose(subject.kind, scheme)
        m = self.model
        fact = RecordFact(
            m.record_id, m.code, m.category, m.polarity, m.severity, m.decided_on, m.status
        )
        rule = chosen.rule_for(m.code, m.category, m.severity, m.polarity)
        return expires_on(fact, rule, chosen)

    @strawberry.field(
        description="What the record does to its subject's score today under a scheme (by "
        "default the one for the subject's kind): its points, rule and status, exactly as its "
        "contribution in the subject's score."
    )
    async def standing(self, info: Info, scheme: SchemeId = None) -> RecordStanding | None:
        from api.types.score import explained

        subject = await info.context.loaders.entity.load(self.model.subject_key)
        if subject is None:
            return None
        chosen = info.context.schemes.choose(subject.kind, scheme)
        found = await explained(info, subject.key, subject.kind, chosen, date.today())
        own = found.own(self.record_id)
        if own is None:
            return None
        contribution, shown = own
        rule = next((r for r in chosen.rules if r.id == contribution.rule_id), None)
        return RecordStanding(
            status=ScoringStatus(contribution.status),
            points=float(shown),
            exact_points=contribution.points,
            rule=SchemeRule.of(rule, chosen) if rule is not None else None,
            scheme_version=contribution.scheme_version,
            counts_until=contribution.expires_on,
        )


def code_title(code: str) -> LocalizedText:
    """A record code's title from the catalogue (the code itself for one it does not know)."""
    from scoring.catalogue import load_catalogue

    known = load_catalogue().get(code)
    return LocalizedText.of(known.title, known.title_zh) if known else LocalizedText.of(code, code)


@fields_need(Inherited)
@strawberry.type(name="RecordConnection", description="A page of records.")
class RecordConnection(Connection[RecordType]):
    total_count: int | None = strawberry.field(  # type: ignore[assignment]
        description="How many records match in all (null where counting would cost a scan)."
    )


def record_page(
    items: list[models.Record],
    start: int,
    total: int | None,
    has_next: bool,
    *,
    cleared: bool = False,
) -> RecordConnection:
    nodes = [RecordType.of(r, cleared=cleared) for r in items]
    return RecordConnection.page(nodes, start=start, total=total, has_next=has_next)


def records_wanted(
    info: Info,
    subject: str | None,
    polarity: models.Polarity | None,
    category: models.Category | None,
    status: models.RecordStatus | None,
    first: int | None,
    after: str | None,
) -> RecordFilter | None:
    """The page of ``subject``'s records a ``records`` field asks for, as the caller may see
    them (None: none it may see). The public sees a company's published records only.
    ``subject`` None: a subject the caller has no rights to beyond its role's."""
    from api.access import Can, allowed

    if not allowed(info, Can.READ_FULL_FILES, subject):
        if status not in (None, models.RecordStatus.ACTIVE):
            return None
        status = models.RecordStatus.ACTIVE
    return RecordFilter(
        polarity, category, status, skip=parse_offset(after), limit=page_size(first)
    )


async def records_connection(
    info: Info, subject: str, wanted: RecordFilter | None
) -> RecordConnection:
    """A page of one subject's records through the batched loader."""
    if wanted is None:
        return RecordConnection.page([], total=0)
    page = await info.context.loaders.records.load((subject, wanted))
    # The file's own rule (``FileField``) let the caller list them: each record is cleared.
    skip = wanted.skip
    has_next = skip + len(page.records) < page.total
    return record_page(page.records, skip, page.total, has_next, cleared=True)
