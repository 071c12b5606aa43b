"""Checking one row of input (an import line or a mutation's input) into a registry dataclass.

The import format's field names are the contract (snake_case, enums in lower case). Every
problem raises ``RowError`` naming the field and the reason, so that an import can write it to the
rejects file and a mutation can return it in its error member.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

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

E = TypeVar("E", bound=StrEnum)

ROW_TYPES = ("company", "person", "link", "record")
# Documents that say their holder's nationality (a permanent residence card in its number).
_NATIONAL_DOCUMENTS = (IdType.PASSPORT, IdType.FOREIGN_PERMANENT_RESIDENT)
_PHONE = re.compile(r"^\+?[0-9][0-9\- ()]{4,24}$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-:./]{0,63}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
_REGISTRATION = re.compile(r"^[0-9A-Z\-]{6,30}$")
MAX_TEXT = 2000
# Characters no name or text may hold: C0 and C1 controls (U+0085 among them), the invisible
# format characters (zero-width spaces and joiners, U+FEFF, the bidirectional embeddings,
# overrides and isolates that make text read differently from how it is stored), line and
# paragraph separators, lone surrogates and non-characters. Free text may still hold tabs and
# line breaks (\t \n \r).
_HIDDEN = (
    r"\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\ufffe\uffff"
    r"\U000e0001\U000e0020-\U000e007f"
)
_FORBIDDEN = re.compile(rf"[\x00-\x1f{_HIDDEN}]")
_FORBIDDEN_IN_PROSE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{_HIDDEN}]")
_OK, _OK_EDGE = rf"[^\x00-\x1f{_HIDDEN}]", rf"[^\x00-\x1f{_HIDDEN}\s]"
_PLAIN = re.compile(rf"^{_OK_EDGE}(?:{_OK}*{_OK_EDGE})?$")  # clean one-line text, trimmed


class RowError(ValueError):
    """A row that cannot be accepted: ``field`` names the culprit, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _text(
    raw: Mapping[str, Any],
    field: str,
    *,
    required: bool = False,
    limit: int = 200,
    prose: bool = False,
) -> str | None:
    value = raw.get(field)
    if type(value) is str and value and len(value) <= limit and _PLAIN.match(value):
        return value  # the common case: already clean text
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(field, "is required")
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise RowError(field, f"must be text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > limit:
        raise RowError(field, f"is longer than {limit} characters")
    return check_text(field, text, prose=prose)


def check_text(field: str, text: str, *, prose: bool = False) -> str:
    """``text`` unless it holds a control, invisible or bidirectional-override character
    (``prose`` allows tabs and line breaks); the ``RowError`` names the first one found."""
    found = (_FORBIDDEN_IN_PROSE if prose else _FORBIDDEN).search(text)
    if found is not None:
        char = found.group()
        raise RowError(
            field,
            f"holds the invisible or control character U+{ord(char):04X} at position "
            f"{found.start() + 1}; names and texts must read as they are stored",
        )
    return text


def _required(raw: Mapping[str, Any], field: str, limit: int = 200) -> str:
    text = _text(raw, field, required=True, limit=limit)
    assert text is not None
    return text


def _enum(raw: Mapping[str, Any], field: str, enum: type[E], default: E | None = None) -> E:
    value = _text(raw, field, required=default is None)
    if value is None:
        assert default is not None
        return default
    try:
        return enum(value.lower())
    except ValueError:
        allowed = "|".join(member.value for member in enum)
        raise RowError(field, f"must be one of {allowed}, got {value!r}") from None


def _date(raw: Mapping[str, Any], field: str, *, required: bool = False) -> date | None:
    value = raw.get(field)
    if isinstance(value, date):
        parsed = value
    else:
        text = _text(raw, field, required=required, limit=10)
        if text is None:
            return None
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise RowError(field, f"must be a date YYYY-MM-DD, got {text!r}") from None
    if parsed > date.today():
        raise RowError(field, f"{parsed.isoformat()} is in the future")
    if parsed.year < 1900:
        raise RowError(field, f"{parsed.isoformat()} is before 1900")
    return parsed


def _uscc(raw: Mapping[str, Any], field: str) -> tuple[str, bool]:
    try:
        code = parse_uscc(_required(raw, field, limit=40))
    except IdentifierError as exc:
        raise RowError(field, str(exc)) from None
    return code.code, code.valid


def _company_key(raw: Mapping[str, Any], field: str) -> str:
    """A company's key: a USCC, or ``<jurisdiction>:<registry number>``."""
    value = _required(raw, field, limit=60)
    try:
        if ":" not in value:
            return parse_uscc(value).code
        found = parse_party_key(value)
    except IdentifierError as exc:
        raise RowError(field, str(exc)) from None
    if not isinstance(found, CompanyId):
        raise RowError(field, f"names a person ({found.id_type}), not a company")
    return found.key


def _person_key(raw: Mapping[str, Any], field: str) -> str:
    """A person's key: a resident identity number, ``<id type>:<number>`` or
    ``passport:<nationality>:<number>``."""
    value = _required(raw, field, limit=60)
    try:
        if ":" not in value:
            return parse_id_number(value)
        found = parse_party_key(value)
    except IdentifierError as exc:
        raise RowError(field, str(exc)) from None
    if not isinstance(found, PersonId):
        raise RowError(field, f"names a company ({found.jurisdiction}), not a person")
    return found.key


def _entity_key(raw: Mapping[str, Any], field: str) -> tuple[str, EntityKind]:
    """A key that may name a company or a person, and the likelier of the two.

    A key with a colon says which it is. Of the others, a digits-only USCC can pass as an
    identity number: the graph has the last word, as writes retry a key under the other label
    when the likelier one does not hold it.
    """
    value = _required(raw, field, limit=60).upper().replace(" ", "")
    if ":" in value:
        try:
            found = parse_party_key(_required(raw, field, limit=60))
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
    value = _text(raw, "jurisdiction", limit=100)
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
        if raw.get("registry_number") and _text(raw, "registry_number", limit=60):
            raise RowError(
                "registry_number",
                "is for a company registered outside CN (give its jurisdiction); a company "
                "registered in CN is identified by its uscc",
            )
        code, valid = _uscc(raw, "uscc")
        return CompanyId("CN", code, valid)
    if _text(raw, "uscc", limit=40) is not None:
        raise RowError(
            "uscc",
            f"a USCC is issued in CN only; a company registered in {where} "
            "gives its registry_number",
        )
    try:
        return parse_company_id(_required(raw, "registry_number", limit=60), where)
    except IdentifierError as exc:
        raise RowError("registry_number", str(exc)) from None


def parse_company(raw: Mapping[str, Any], source: str | None = None) -> CompanyInput:
    """Check a ``company`` row."""
    company = _company_id(raw)
    registration = _text(raw, "registration_number", limit=30)
    if registration is not None and not _REGISTRATION.match(registration.upper()):
        raise RowError("registration_number", "must be 6-30 digits, capital letters or '-'")
    phone = _text(raw, "phone", limit=25)
    if phone is not None and not _PHONE.match(phone):
        raise RowError("phone", f"is not a phone number: {phone!r}")
    return CompanyInput(
        uscc=company.key,
        uscc_valid=company.valid,
        name=_required(raw, "name"),
        registration_number=registration.upper() if registration else None,
        address=_text(raw, "address", limit=300),
        phone=phone,
        status=_enum(raw, "status", CompanyStatus, CompanyStatus.ACTIVE),
        founded_on=_date(raw, "founded_on"),
        registration_authority=_text(raw, "registration_authority", limit=100),
        source=_text(raw, "source") or source,
    )


def parse_person(raw: Mapping[str, Any], source: str | None = None) -> PersonInput:
    """Check a ``person`` row: ``id_number`` of the document ``id_type`` (resident_id when left
    out), and ``nationality`` for a passport."""
    if not raw.get("id_type") and not raw.get("nationality"):
        # The common case, a resident identity number, without the other documents' checks.
        try:
            key = parse_id_number(_required(raw, "id_number", limit=40))
        except IdentifierError as exc:
            raise RowError("id_number", str(exc)) from None
        return PersonInput(
            id_number=key,
            name=_required(raw, "name", limit=100),
            profession=_text(raw, "profession", limit=100),
            source=_text(raw, "source") or source,
        )
    id_type = _enum(raw, "id_type", IdType, IdType.RESIDENT_ID)
    nationality = _text(raw, "nationality", limit=40)
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
        person = parse_person_id(_required(raw, "id_number", limit=40), id_type, nationality)
    except IdentifierError as exc:
        message = str(exc)
        if message.startswith("nationality: "):  # a card whose number says another
            raise RowError("nationality", message.removeprefix("nationality: ")) from None
        raise RowError("id_number", message) from None
    return PersonInput(
        id_number=person.key,
        name=_required(raw, "name", limit=100),
        profession=_text(raw, "profession", limit=100),
        source=_text(raw, "source") or source,
    )


def parse_link(raw: Mapping[str, Any], source: str | None = None) -> LinkInput:
    """Check a ``link`` row: the relationship, both ends, stake, role and dates."""
    rel_text = _required(raw, "rel", limit=40).upper()
    try:
        rel = RelType(rel_text)
    except ValueError:
        allowed = "|".join(member.value for member in RelType)
        raise RowError("rel", f"must be one of {allowed}, got {rel_text!r}") from None
    if rel in (RelType.LEGAL_REPRESENTATIVE_OF, RelType.OFFICER_OF):
        from_key, from_kind = _person_key(raw, "from"), EntityKind.PERSON
    elif rel is RelType.BRANCH_OF:
        from_key, from_kind = _company_key(raw, "from"), EntityKind.COMPANY
    else:
        from_key, from_kind = _entity_key(raw, "from")
    to_key = _company_key(raw, "to")
    if from_key == to_key:
        raise RowError("to", "a company cannot be linked to itself")
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
    if rel is not RelType.SHAREHOLDER_OF and stake is not None:
        raise RowError("stake", f"only SHAREHOLDER_OF links carry a stake, not {rel.value}")
    role = _text(raw, "role", limit=60)
    if rel is RelType.OFFICER_OF and role is None:
        role = "officer"
    since, until = _date(raw, "since"), _date(raw, "until")
    if since and until and until < since:
        raise RowError("until", f"{until.isoformat()} is before since {since.isoformat()}")
    return LinkInput(
        rel=rel,
        from_key=from_key,
        to_key=to_key,
        from_kind=from_kind,
        stake=stake,
        role=role,
        since=since,
        until=until,
        source=_text(raw, "source") or source,
    )


def parse_record(raw: Mapping[str, Any], source: str | None = None) -> RecordInput:
    """Check a ``record`` row: its id, subject, issuer, classification and date."""
    record_id = _required(raw, "record_id", limit=64)
    if not _RECORD_ID.match(record_id):
        raise RowError("record_id", "may hold letters, digits and _-:./ only")
    code = _required(raw, "code", limit=64).upper()
    if not _CODE.match(code):
        raise RowError("code", "must be upper-case letters, digits and underscores")
    known = load_catalogue().get(code)
    if known is None:
        raise RowError("code", f"{code} is not in the record-code catalogue")
    polarity = _enum(raw, "polarity", Polarity)
    if polarity.value != known.polarity:
        raise RowError(
            "polarity",
            f"{code} is a {known.polarity} record in the catalogue, not {polarity.value}",
        )
    decided_on = _date(raw, "decided_on", required=True)
    assert decided_on is not None
    subject, subject_kind = _entity_key(raw, "subject")
    return RecordInput(
        record_id=record_id,
        subject=subject,
        subject_kind=subject_kind,
        authority=_required(raw, "authority", limit=100),
        category=_enum(raw, "category", Category),
        code=code,
        polarity=polarity,
        severity=_enum(raw, "severity", Severity),
        decided_on=decided_on,
        case_number=_text(raw, "case_number", limit=100),
        description=_text(raw, "description", limit=MAX_TEXT, prose=True),
        penalty=_text(raw, "penalty", limit=500, prose=True),
        source=_text(raw, "source") or source,
    )


PARSERS: dict[str, Callable[..., Any]] = {
    "company": parse_company,
    "person": parse_person,
    "link": parse_link,
    "record": parse_record,
}
