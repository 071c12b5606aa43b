"""The registry's data, as frozen dataclasses: what repositories take and return. The record
vocabulary (categories, polarities, severities, statuses) is ``scoring.vocabulary``'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from graph.parties import CompanyId, PersonId, company_id_of, person_id_of
from scoring.vocabulary import Category as Category
from scoring.vocabulary import Polarity as Polarity
from scoring.vocabulary import RecordStatus as RecordStatus
from scoring.vocabulary import Severity as Severity


class EntityKind(StrEnum):
    """The labels an entity can carry; an allowlist for the Cypher that varies by label."""

    COMPANY = "Company"
    PERSON = "Person"


class RelType(StrEnum):
    """The relationship types an import or a mutation may create between entities."""

    LEGAL_REPRESENTATIVE_OF = "LEGAL_REPRESENTATIVE_OF"
    SHAREHOLDER_OF = "SHAREHOLDER_OF"
    OFFICER_OF = "OFFICER_OF"
    BRANCH_OF = "BRANCH_OF"


class CompanyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    CANCELLED = "cancelled"


# Which entity kinds may stand at the start of each relationship (the end is always a company).
REL_FROM_KINDS: dict[RelType, tuple[EntityKind, ...]] = {
    RelType.LEGAL_REPRESENTATIVE_OF: (EntityKind.PERSON,),
    RelType.OFFICER_OF: (EntityKind.PERSON,),
    RelType.SHAREHOLDER_OF: (EntityKind.PERSON, EntityKind.COMPANY),
    RelType.BRANCH_OF: (EntityKind.COMPANY,),
}


@dataclass(frozen=True)
class CompanyInput:
    uscc: str  # the company's key: a USCC or <jurisdiction>:<registry number> (graph.parties)
    uscc_valid: bool
    name: str
    registration_number: str | None = None
    address: str | None = None
    phone: str | None = None
    status: CompanyStatus = CompanyStatus.ACTIVE
    founded_on: date | None = None
    registration_authority: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class PersonInput:
    id_number: str  # the person's key: a resident identity number or another document's
    name: str
    profession: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class LinkInput:
    rel: RelType
    from_key: str
    to_key: str
    from_kind: EntityKind = EntityKind.PERSON  # the likelier label of ``from_key``
    stake: float | None = None
    role: str | None = None
    since: date | None = None
    until: date | None = None
    source: str | None = None


@dataclass(frozen=True)
class RecordInput:
    record_id: str
    subject: str
    authority: str
    category: Category
    code: str
    polarity: Polarity
    severity: Severity
    decided_on: date
    case_number: str | None = None
    description: str | None = None
    penalty: str | None = None
    source: str | None = None
    subject_kind: EntityKind = EntityKind.PERSON  # the likelier label of ``subject``


@dataclass(frozen=True)
class Company:
    uscc: str
    uscc_valid: bool
    name: str
    registration_number: str | None
    address: str | None
    phone: str | None
    status: CompanyStatus
    founded_on: date | None
    registration_authority: str | None

    @property
    def ident(self) -> CompanyId:
        """Where the company is registered and its number there (``uscc`` is its key)."""
        return company_id_of(self.uscc)


@dataclass(frozen=True)
class Person:
    uid: str
    id_number: str  # the person's key (graph.parties)
    name: str
    profession: str | None

    @property
    def ident(self) -> PersonId:
        """The document the person is identified by, its number and nationality."""
        return person_id_of(self.id_number)


@dataclass(frozen=True)
class Entity:
    """A company or a person, as returned where either may appear."""

    kind: EntityKind
    company: Company | None = None
    person: Person | None = None

    @property
    def key(self) -> str:
        if self.company is not None:
            return self.company.uscc
        assert self.person is not None
        return self.person.id_number


@dataclass(frozen=True)
class Record:
    record_id: str
    category: Category
    code: str
    polarity: Polarity
    severity: Severity
    authority: str
    case_number: str | None
    decided_on: date
    description: str | None
    penalty: str | None
    status: RecordStatus
    subject_key: str  # a USCC or an identity number; the subject loader finds which


@dataclass(frozen=True)
class Link:
    """A relationship between two entities, seen from one of them."""

    rel: RelType
    other: Entity
    stake: float | None
    role: str | None
    since: date | None
    until: date | None
    source: str | None
