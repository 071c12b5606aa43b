"""Turning node and relationship properties from the driver into our dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, LiteralString

from graph.models import (
    Category,
    Company,
    CompanyStatus,
    Entity,
    EntityKind,
    Person,
    Polarity,
    Record,
    RecordStatus,
    Severity,
)

Props = dict[str, Any]
# Enum members by stored value: a dict look-up, where calling the enum walks its metaclass (a
# nested lookup converts a few hundred of them).
_CATEGORIES = {m.value: m for m in Category}
_POLARITIES = {m.value: m for m in Polarity}
_SEVERITIES = {m.value: m for m in Severity}
_RECORD_STATUSES = {m.value: m for m in RecordStatus}
_COMPANY_STATUSES = {m.value: m for m in CompanyStatus}


def _member(members: dict[Any, Any], kind: Any, value: Any) -> Any:
    found = members.get(value)
    return found if found is not None else kind(value)  # raises what the enum raises


# What a statement returns of a node or a relationship for the converters below (a Cypher map
# projection of the variable ``var``): the properties they read and no more, dates as ISO text.
# A node's createdAt, source and rowHash are for the audit and the import, never for a reader,
# and decoding the driver's temporal types cost more than the rest of a record; a missing
# property or a null variable comes back as null, as ``properties()`` would leave it out.
#
# A statement may return fewer (a ``Projection``: the properties a planned document reads,
# ``api.plans``): the converters then leave the others at their defaults. Each kind's
# ``REQUIRED`` properties are always returned: the converters need them, and so do the access
# rules, masking and keys of whatever is made from them.
_COMPANY_ITEMS: tuple[tuple[str, LiteralString], ...] = (
    ("uscc", ".uscc"),
    ("usccValid", ".usccValid"),
    ("name", ".name"),
    ("registrationNumber", ".registrationNumber"),
    ("address", ".address"),
    ("phone", ".phone"),
    ("status", ".status"),
    ("foundedOn", "foundedOn: toString(VAR.foundedOn)"),
    ("registrationAuthority", ".registrationAuthority"),
)
_PERSON_ITEMS: tuple[tuple[str, LiteralString], ...] = (
    ("uid", ".uid"),
    ("idNumber", ".idNumber"),
    ("name", ".name"),
    ("profession", ".profession"),
)
_RECORD_ITEMS: tuple[tuple[str, LiteralString], ...] = (
    ("recordId", ".recordId"),
    ("category", ".category"),
    ("code", ".code"),
    ("polarity", ".polarity"),
    ("severity", ".severity"),
    ("authorityName", ".authorityName"),
    ("caseNumber", ".caseNumber"),
    ("decidedOn", "decidedOn: toString(VAR.decidedOn)"),
    ("description", ".description"),
    ("penalty", ".penalty"),
    ("status", ".status"),
    ("subjectKey", ".subjectKey"),
)
COMPANY_REQUIRED = frozenset({"uscc"})
PERSON_REQUIRED = frozenset({"uid", "idNumber"})
RECORD_REQUIRED = frozenset(
    {"recordId", "category", "code", "polarity", "severity", "decidedOn", "status", "subjectKey"}
)
COMPANY_PROPERTIES = frozenset(name for name, _ in _COMPANY_ITEMS)
PERSON_PROPERTIES = frozenset(name for name, _ in _PERSON_ITEMS)
RECORD_PROPERTIES = frozenset(name for name, _ in _RECORD_ITEMS)


@dataclass(frozen=True)
class Projection:
    """The stored properties a statement returns of each kind of node (None: every one the
    converters read), besides the required ones."""

    companies: frozenset[str] | None = None
    persons: frozenset[str] | None = None
    records: frozenset[str] | None = None


EVERYTHING = Projection()


def _items(
    var: LiteralString,
    items: tuple[tuple[str, LiteralString], ...],
    only: frozenset[str] | None,
    required: frozenset[str],
) -> list[LiteralString]:
    return [
        item.replace("VAR", var)
        for name, item in items
        if only is None or name in only or name in required
    ]


def company_fields(var: LiteralString, only: frozenset[str] | None = None) -> LiteralString:
    """The properties ``company`` reads (of them, ``only`` these and the required ones)."""
    return var + " {" + ", ".join(_items(var, _COMPANY_ITEMS, only, COMPANY_REQUIRED)) + "}"


def person_fields(var: LiteralString, only: frozenset[str] | None = None) -> LiteralString:
    """The properties ``person`` reads (of them, ``only`` these and the required ones)."""
    return var + " {" + ", ".join(_items(var, _PERSON_ITEMS, only, PERSON_REQUIRED)) + "}"


def entity_fields(var: LiteralString, projection: Projection = EVERYTHING) -> LiteralString:
    """The properties ``entity`` reads, of a company or a person."""
    items = _items(var, _COMPANY_ITEMS, projection.companies, COMPANY_REQUIRED)
    items += [
        item
        for item in _items(var, _PERSON_ITEMS, projection.persons, PERSON_REQUIRED)
        if item not in items  # a name is both a company's and a person's
    ]
    return var + " {" + ", ".join(items) + "}"


def record_fields(var: LiteralString, only: frozenset[str] | None = None) -> LiteralString:
    """The properties ``record`` reads (of them, ``only`` these and the required ones)."""
    return var + " {" + ", ".join(_items(var, _RECORD_ITEMS, only, RECORD_REQUIRED)) + "}"


def link_fields(var: LiteralString) -> LiteralString:
    """The properties of a relationship a ``Link`` reads."""
    return (
        var + " {.stake, .role, since: toString(" + var + ".since), "
        "until: toString(" + var + ".until), .source}"
    )


def to_date(value: Any) -> date | None:
    """A driver date (or None) as a Python ``date``."""
    if value is None:
        return None
    if type(value) is str:  # what the projections above return
        return date.fromisoformat(value[:10])
    if hasattr(value, "to_native"):
        native = value.to_native()
        if isinstance(native, datetime):
            return native.date()
        if isinstance(native, date):
            return native
        raise TypeError(f"not a date: {value!r}")
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def to_datetime(value: Any) -> datetime:
    """A driver date-time as a Python ``datetime``."""
    native = value.to_native() if hasattr(value, "to_native") else value
    if not isinstance(native, datetime):
        native = datetime.fromisoformat(str(native))
    # We store UTC only; a backend that drops the zone on the way back gets it restored.
    return native if native.tzinfo else native.replace(tzinfo=UTC)


def company(p: Props) -> Company:
    return Company(
        uscc=p["uscc"],
        uscc_valid=p.get("usccValid") is not False,  # absent: valid
        name=p.get("name") or "",
        registration_number=p.get("registrationNumber"),
        address=p.get("address"),
        phone=p.get("phone"),
        status=_member(_COMPANY_STATUSES, CompanyStatus, p.get("status") or "active"),
        founded_on=to_date(p.get("foundedOn")),
        registration_authority=p.get("registrationAuthority"),
    )


def person(p: Props) -> Person:
    return Person(
        uid=p["uid"],
        id_number=p["idNumber"],
        name=p.get("name") or "",
        profession=p.get("profession"),
    )


def entity(labels: list[str], p: Props) -> Entity:
    if "Company" in labels:
        return Entity(EntityKind.COMPANY, company=company(p))
    return Entity(EntityKind.PERSON, person=person(p))


def record(p: Props) -> Record:
    decided = to_date(p.get("decidedOn"))
    assert decided is not None
    return Record(
        record_id=p["recordId"],
        category=_member(_CATEGORIES, Category, p["category"]),
        code=p["code"],
        polarity=_member(_POLARITIES, Polarity, p["polarity"]),
        severity=_member(_SEVERITIES, Severity, p["severity"]),
        authority=p.get("authorityName") or "",
        case_number=p.get("caseNumber"),
        decided_on=decided,
        description=p.get("description"),
        penalty=p.get("penalty"),
        status=_member(_RECORD_STATUSES, RecordStatus, p.get("status") or "active"),
        subject_key=p.get("subjectKey") or "",
    )
