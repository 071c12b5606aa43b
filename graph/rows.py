"""Checking one row of input (an import line or a mutation's input) into a registry dataclass.

The import format's field names are the contract (snake_case, enums in lower case). Every
problem raises ``RowError`` naming the field and the reason, so that an import can write it to the
rejects file and a mutation can return it in its error member.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graph.fields import MAX_TEXT, Problems, date_field, enum_field, required_field, text_field
from graph.fields import RowError as RowError
from graph.fields import check_text as check_text
from graph.identifiers import IdentifierError, is_id_number, parse_id_number, parse_uscc
from graph.models import (
    Category,
    CompanyInput,
    CompanyStatus,
    EntityKind,
    LinkInput,
    PersonInput,
    Polarity,
    RecordInput,
    RelType,
    Severity,
)
from graph.parties import (
    CompanyId,
    IdType,
    PersonId,
    country,
    parse_company_id,
    parse_party_key,
    parse_person_id,
)
from scoring.catalogue import load_catalogue

ROW_TYPES = ("company", "person", "link", "record")
# Documents that say their holder's nationality (a permanent residence card in its number).
_NATIONAL_DOCUMENTS = (IdType.PASSPORT, IdType.FOREIGN_PERMANENT_RESIDENT)
_PHONE = re.compile(r"^\+?[0-9][0-9\- ()]{4,24}$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-:./]{0,63}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
_REGISTRATION = re.compile(r"^[0-9A-Z\-]{6,30}$")


def _uscc(raw: Mapping[str, Any], field: str) -> tuple[str, bool]:
    try:
        code = parse_uscc(required_field(raw, field, limit=40))
    except IdentifierError as exc:
        raise RowError(field, str(exc)) from None
    return code.code, code.valid


def _party_key(raw: Mapping[str, Any], field: str, kind: EntityKind) -> str:
    """The key of a party of ``kind``: a USCC or ``<jurisdiction>:<registry number>`` for a
    company; a resident identity number, ``<id type>:<number>`` or
    ``passport:<nationality>:<number>`` for a person."""
    value = required_field(raw, field, limit=60)
    try:
        if ":" not in value:
            return parse_uscc(value).code if kind is EntityKind.COMPANY else parse_id_number(value)
        found = parse_party_key(value)
    except IdentifierError as exc:
        raise RowError(field, str(exc)) from None
    if isinstance(found, PersonId) != (kind is EntityKind.PERSON):
        named = (
            f"a person ({found.id_type})"
            if isinstance(found, PersonId)
            else f"a company ({found.jurisdiction})"
        )
        raise RowError(field, f"names {named}, not a {kind.value.lower()}")
    return found.key


def _entity_key(raw: Mapping[str, Any], field: str) -> tuple[str, EntityKind]:
    """A key that may name a company or a person, and the likelier of the two.

    A key with a colon says which it is. Of the others, a digits-only USCC can pass as an
    identity number: the graph has the last word, as writes retry a key under the other label
    when the likelier one does not hold it.
    """
    value = required_field(raw, field, limit=60).upper().replace(" ", "")
    if ":" in value:
        try:
            found = parse_party_key(required_field(raw, field, limit=60))
        except IdentifierError as exc:
            raise RowError(field, str(exc)) from None
        kind = EntityKind.PERSON if isinstance(found, PersonId) else EntityKind.COMPANY
        return found.key, kind
    if is_id_number(value):  # remembered either way: no exception raised for each USCC key
        return parse_id_number(value), EntityKind.PERSON
    try:
        return parse_uscc(value).code, EntityKind.COMPANY
    except IdentifierError as code_problem:
        raise RowError(
            field,
            f"is neither a USCC ({code_problem}) nor an identity number ({_why_not_id(value)}); "
            "other parties are named <jurisdiction>:<registry number>, <id type>:<number> or "
            "passport:<nationality>:<number>",
        ) from None


def _why_not_id(value: str) -> str:
    try:
        parse_id_number(value)
    except IdentifierError as problem:
        return str(problem)
    return "it is one"  # never met: asked only of a value is_id_number refused


def _company_id(raw: Mapping[str, Any]) -> CompanyId:
    """A company row's identification: ``uscc`` for a company registered in CN (the default
    ``jurisdiction``), ``registry_number`` for one registered elsewhere. Files written before
    ``jurisdiction`` meant a country used it for the registering authority: they are told where
    that goes now."""
    value = text_field(raw, "jurisdiction", limit=100)
    where = "CN"
    if value is not None:
        try:
            where = country(value)
        except IdentifierError:
            raise RowError(
                "jurisdiction",
                f"is an ISO 3166-1 alpha-2 code (CN for a USCC), got {value!r}; the authority "
                "that registered the company goes in registration_authority",
            ) from None
    if where == "CN":
        if raw.get("registry_number") and text_field(raw, "registry_number", limit=60):
            raise RowError(
                "registry_number",
                "is for a company registered outside CN (give its jurisdiction); a company "
                "registered in CN is identified by its uscc",
            )
        code, valid = _uscc(raw, "uscc")
        return CompanyId("CN", code, valid)
    if text_field(raw, "uscc", limit=40) is not None:
        raise RowError(
            "uscc",
            f"a USCC is issued in CN only; a company registered in {where} "
            "gives its registry_number",
        )
    try:
        return parse_company_id(required_field(raw, "registry_number", limit=60), where)
    except IdentifierError as exc:
        raise RowError("registry_number", str(exc)) from None


def _registration_number(raw: Mapping[str, Any]) -> str | None:
    registration = text_field(raw, "registration_number", limit=30)
    if registration is not None and not _REGISTRATION.match(registration.upper()):
        raise RowError("registration_number", "must be 6-30 digits, capital letters or '-'")
    return registration.upper() if registration else None


def _phone(raw: Mapping[str, Any]) -> str | None:
    phone = text_field(raw, "phone", limit=25)
    if phone is not None and not _PHONE.match(phone):
        raise RowError("phone", f"is not a phone number: {phone!r}")
    return phone


def parse_company(raw: Mapping[str, Any], source: str | None = None) -> CompanyInput:
    """Check a ``company`` row (every field at fault named at once)."""
    p = Problems()
    company = p.check(_company_id, raw)
    row = CompanyInput(
        uscc=company.key if company else "",
        uscc_valid=company.valid if company else False,
        name=p.check(required_field, raw, "name"),
        registration_number=p.check(_registration_number, raw),
        address=p.check(text_field, raw, "address", limit=300),
        phone=p.check(_phone, raw),
        status=p.check(enum_field, raw, "status", CompanyStatus, CompanyStatus.ACTIVE),
        founded_on=p.check(date_field, raw, "founded_on"),
        registration_authority=p.check(text_field, raw, "registration_authority", limit=100),
        source=p.check(text_field, raw, "source") or source,
    )
    p.done()
    return row


def parse_person(raw: Mapping[str, Any], source: str | None = None) -> PersonInput:
    """Check a ``person`` row: ``id_number`` of the document ``id_type`` (resident_id when left
    out), and ``nationality`` for a passport."""
    p = Problems()
    row = PersonInput(
        id_number=p.check(_person_id, raw),
        name=p.check(required_field, raw, "name", limit=100),
        profession=p.check(text_field, raw, "profession", limit=100),
        source=p.check(text_field, raw, "source") or source,
    )
    p.done()
    return row


def _person_id(raw: Mapping[str, Any]) -> str:
    """A person row's key, from ``id_type``, ``id_number`` and ``nationality``."""
    if not raw.get("id_type") and not raw.get("nationality"):
        # The common case, a resident identity number, without the other documents' checks.
        try:
            return parse_id_number(required_field(raw, "id_number", limit=40))
        except IdentifierError as exc:
            raise RowError("id_number", str(exc)) from None
    id_type = enum_field(raw, "id_type", IdType, IdType.RESIDENT_ID)
    nationality = text_field(raw, "nationality", limit=40)
    if nationality is not None and id_type not in _NATIONAL_DOCUMENTS:
        raise RowError(
            "nationality", f"is given with a passport or permanent residence card, not {id_type}"
        )
    if nationality is None and id_type is IdType.PASSPORT:
        raise RowError("nationality", "is required with a passport (ISO 3166-1 alpha-2)")
    if nationality is not None:
        try:
            nationality = country(nationality, "nationality")
        except IdentifierError as exc:
            raise RowError("nationality", str(exc)) from None
    try:
        return parse_person_id(required_field(raw, "id_number", limit=40), id_type, nationality).key
    except IdentifierError as exc:
        message = str(exc)
        if message.startswith("nationality: "):  # a card whose number says another
            raise RowError("nationality", message.removeprefix("nationality: ")) from None
        raise RowError("id_number", message) from None


def _rel(raw: Mapping[str, Any]) -> RelType:
    rel_text = required_field(raw, "rel", limit=40).upper()
    try:
        return RelType(rel_text)
    except ValueError:
        allowed = "|".join(member.value for member in RelType)
        raise RowError("rel", f"must be one of {allowed}, got {rel_text!r}") from None


def _from(raw: Mapping[str, Any], rel: RelType | None) -> tuple[str, EntityKind]:
    """The start of a link of ``rel`` (of either kind when ``rel`` is unknown)."""
    if rel in (RelType.LEGAL_REPRESENTATIVE_OF, RelType.OFFICER_OF):
        return _party_key(raw, "from", EntityKind.PERSON), EntityKind.PERSON
    if rel is RelType.BRANCH_OF:
        return _party_key(raw, "from", EntityKind.COMPANY), EntityKind.COMPANY
    return _entity_key(raw, "from")


def _stake(raw: Mapping[str, Any], rel: RelType | None) -> float | None:
    stake: float | None = None
    if raw.get("stake") not in (None, ""):
        try:
            stake = float(raw["stake"])
        except (TypeError, ValueError):
            raise RowError("stake", f"must be a number, got {raw['stake']!r}") from None
        if not 0 < stake <= 1:
            raise RowError("stake", f"must be in (0, 1], got {stake}")
    if rel is RelType.SHAREHOLDER_OF and stake is None:
        raise RowError("stake", "is required for SHAREHOLDER_OF")
    if rel is not None and rel is not RelType.SHAREHOLDER_OF and stake is not None:
        raise RowError("stake", f"only SHAREHOLDER_OF links carry a stake, not {rel.value}")
    return stake


def parse_link(raw: Mapping[str, Any], source: str | None = None) -> LinkInput:
    """Check a ``link`` row: the relationship, both ends, stake, role and dates (every field
    at fault named at once)."""
    p = Problems()
    rel = p.check(_rel, raw)
    start = p.check(_from, raw, rel)
    to_key = p.check(_party_key, raw, "to", EntityKind.COMPANY)
    if start is not None and start[0] == to_key:
        p.add("to", "a company cannot be linked to itself")
    stake = p.check(_stake, raw, rel)
    role = p.check(text_field, raw, "role", limit=60)
    if rel is RelType.OFFICER_OF and role is None and not p.failed("role"):
        role = "officer"
    since, until = p.check(date_field, raw, "since"), p.check(date_field, raw, "until")
    if since and until and until < since:
        p.add("until", f"{until.isoformat()} is before since {since.isoformat()}")
    row_source = p.check(text_field, raw, "source") or source
    p.done()
    from_key, from_kind = start
    return LinkInput(
        rel=rel,
        from_key=from_key,
        to_key=to_key,
        from_kind=from_kind,
        stake=stake,
        role=role,
        since=since,
        until=until,
        source=row_source,
    )


def _record_id(raw: Mapping[str, Any]) -> str:
    record_id = required_field(raw, "record_id", limit=64)
    if not _RECORD_ID.match(record_id):
        raise RowError("record_id", "may hold letters, digits and _-:./ only")
    return record_id


def _code(raw: Mapping[str, Any]) -> tuple[str, str]:
    """A record's code and the polarity the catalogue gives it."""
    code = required_field(raw, "code", limit=64).upper()
    if not _CODE.match(code):
        raise RowError("code", "must be upper-case letters, digits and underscores")
    known = load_catalogue().get(code)
    if known is None:
        raise RowError("code", f"{code} is not in the record-code catalogue")
    return code, known.polarity


def _polarity(raw: Mapping[str, Any], code: tuple[str, str] | None) -> Polarity:
    polarity = enum_field(raw, "polarity", Polarity)
    if code is not None and polarity.value != code[1]:
        raise RowError(
            "polarity",
            f"{code[0]} is a {code[1]} record in the catalogue, not {polarity.value}",
        )
    return polarity


def parse_record(raw: Mapping[str, Any], source: str | None = None) -> RecordInput:
    """Check a ``record`` row: its id, subject, issuer, classification and date (every field
    at fault named at once)."""
    p = Problems()
    record_id = p.check(_record_id, raw)
    code = p.check(_code, raw)
    subject = p.check(_entity_key, raw, "subject")
    row = dict(
        record_id=record_id,
        authority=p.check(required_field, raw, "authority", limit=100),
        category=p.check(enum_field, raw, "category", Category),
        polarity=p.check(_polarity, raw, code),
        severity=p.check(enum_field, raw, "severity", Severity),
        decided_on=p.check(date_field, raw, "decided_on", required=True),
        case_number=p.check(text_field, raw, "case_number", limit=100),
        description=p.check(text_field, raw, "description", limit=MAX_TEXT, prose=True),
        penalty=p.check(text_field, raw, "penalty", limit=500, prose=True),
        source=p.check(text_field, raw, "source") or source,
    )
    p.done()
    return RecordInput(subject=subject[0], subject_kind=subject[1], code=code[0], **row)


PARSERS: dict[str, Callable[..., Any]] = {
    "company": parse_company,
    "person": parse_person,
    "link": parse_link,
    "record": parse_record,
}
