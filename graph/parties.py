"""Parties beyond the USCC and the resident identity number: foreign and offshore companies,
residents of Hong Kong, Macao and Taiwan, foreign nationals.

Every party has one key, the string links, records and lookups name it by, and the graph keeps
it under the key property of its label (``Company.uscc``, ``Person.idNumber``: the names date
from when those were the only identifiers, and renaming them would re-seal every entity):

- a company: its USCC, or ``<jurisdiction>:<registry number>`` (``HK:1234567``, ``KY:MC-123456``);
- a person: a resident identity number, ``passport:<nationality>:<number>`` or
  ``<id type>:<number>`` (``mainland_travel_permit:H12345678``).

A USCC and a resident identity number never hold a colon, so the two forms cannot collide.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import pycountry
from stdnum.exceptions import ValidationError

from graph.identifiers import (
    RIC_SHAPE,
    IdentifierError,
    compact,
    gb11643,
    looks_like_uscc,
    mask_id_number,
    parse_id_number,
    parse_uscc,
)


class IdType(StrEnum):
    """The document a person is identified by."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民居住证: GB 11643, division 810000 or 820000
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民居住证: GB 11643, division 830000
    MAINLAND_TRAVEL_PERMIT = "mainland_travel_permit"  # 港澳/台湾居民来往内地(大陆)通行证
    PASSPORT = "passport"  # a foreign passport: its country and number
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"  # 外国人永久居留身份证


# The divisions a residence permit for Hong Kong, Macao or Taiwan residents carries.
PERMIT_DIVISIONS: dict[IdType, dict[str, str]] = {
    IdType.HK_MACAO_PERMIT: {"810000": "Hong Kong", "820000": "Macao"},
    IdType.TAIWAN_PERMIT: {"830000": "Taiwan"},
}
# 港澳居民来往内地通行证: H (Hong Kong) or M (Macao) and 8 digits, 10 on older permits;
# 台湾居民来往大陆通行证: 8 digits, 10 on older permits.
_TRAVEL_PERMIT = re.compile(r"^(?:[HM][0-9]{8}|[HM][0-9]{10}|[0-9]{8}|[0-9]{10})$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
# 外国人永久居留身份证: since 2023, 9, the accepting province (2 digits), the nationality
# (ISO 3166-1 numeric), the birth date, 3 digits and a GB 11643 check character; cards issued
# before 2023, the nationality (ISO 3166-1 alpha-3) and 12 digits.
_PERMANENT_RESIDENT_OLD = re.compile(r"^[A-Z]{3}[0-9]{12}$")
_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"}
    | {"65"}
)
_REGISTRY_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9./-]{0,29}$")
_HK_CR = re.compile(r"^[0-9]{7,8}$")  # Hong Kong Companies Registry number
# Company registry or tax numbers whose format python-stdnum knows, by jurisdiction.
REGISTRY_FORMATS: dict[str, str] = {
    "AU": "stdnum.au.acn",  # Australian Company Number
    "BR": "stdnum.br.cnpj",
    "CH": "stdnum.ch.uid",
    "ES": "stdnum.es.cif",
    "FR": "stdnum.fr.siren",
    "JP": "stdnum.jp.cn",  # Corporate Number
    "KR": "stdnum.kr.brn",
    "SG": "stdnum.sg.uen",
    "TW": "stdnum.tw.ubn",  # Unified Business Number
    "US": "stdnum.us.ein",
    "VN": "stdnum.vn.mst",
}


_ID_TYPES = frozenset(t.value for t in IdType)


@dataclass(frozen=True)
class PersonId:
    """A person's identification: the document's type, its number and, for a passport, the
    issuing country (ISO 3166-1 alpha-2)."""

    id_type: IdType
    number: str
    nationality: str | None = None

    @property
    def key(self) -> str:
        if self.id_type is IdType.RESIDENT_ID:
            return self.number
        if self.id_type is IdType.PASSPORT:
            return f"passport:{self.nationality}:{self.number}"
        return f"{self.id_type}:{self.number}"

    @property
    def masked_number(self) -> str:
        """The number as roles that may not see whole numbers see it: the birth date of an
        18-digit number hidden, of any other number all but its last four characters."""
        if len(self.number) == 18:
            return mask_id_number(self.number)
        keep = 4 if len(self.number) > 6 else 2
        return "*" * (len(self.number) - keep) + self.number[-keep:]

    @property
    def masked(self) -> str:
        """The key with its number masked (``masked_number``)."""
        hidden = self.masked_number
        if self.id_type is IdType.RESIDENT_ID:
            return hidden
        if self.id_type is IdType.PASSPORT:
            return f"passport:{self.nationality}:{hidden}"
        return f"{self.id_type}:{hidden}"


@dataclass(frozen=True)
class CompanyId:
    """A company's identification: a USCC (jurisdiction ``CN``) or another jurisdiction's
    registry number."""

    jurisdiction: str
    number: str
    valid: bool = True  # False: a well-formed USCC with a wrong check character (flagged)

    @property
    def key(self) -> str:
        return self.number if self.jurisdiction == "CN" else f"{self.jurisdiction}:{self.number}"


def country(code: str, field: str = "jurisdiction") -> str:
    """An ISO 3166-1 alpha-2 country (or territory) code, upper-case, or raise why not."""
    text = (code or "").strip().upper()
    if len(text) != 2 or pycountry.countries.get(alpha_2=text) is None:
        raise IdentifierError(f"{field} must be an ISO 3166-1 alpha-2 code (HK, KY, VG ...)")
    return text


def _permit_number(value: str, id_type: IdType) -> str:
    """A residence permit for Hong Kong, Macao or Taiwan residents: GB 11643 with their
    division (the same check character and birth date as a resident identity number)."""
    number, _ = gb11643(value, f"{id_type} number", f"{id_type} number")
    divisions = PERMIT_DIVISIONS[id_type]
    if number[:6] not in divisions:
        raise IdentifierError(f"a {id_type} number begins {' or '.join(divisions)}")
    return number


def _permanent_resident(value: str) -> PersonId:
    """A foreign permanent resident identity card (外国人永久居留身份证), with the nationality its
    number gives."""
    kind = IdType.FOREIGN_PERMANENT_RESIDENT
    text = compact(value)
    if _PERMANENT_RESIDENT_OLD.match(text):
        found = pycountry.countries.get(alpha_3=text[:3])
        if found is None:
            raise IdentifierError(f"{text[:3]} (characters 1-3) is no ISO 3166-1 alpha-3 code")
        return PersonId(kind, text, found.alpha_2)
    if len(text) == 18 and not text.startswith("9"):
        raise IdentifierError(f"an 18-character {kind} number begins with 9")
    if len(text) != 18:
        raise IdentifierError(
            f"a {kind} number has 18 characters (15 on cards issued before 2023: 3 letters, "
            "12 digits)"
        )
    number, _ = gb11643(text, f"{kind} number", f"{kind} number")
    if number[1:3] not in _PROVINCES:
        raise IdentifierError(f"characters 2-3 of a {kind} number are a province, not {text[1:3]}")
    found = pycountry.countries.get(numeric=number[3:6])
    if found is None:
        raise IdentifierError(f"{number[3:6]} (characters 4-6) is no ISO 3166-1 numeric code")
    return PersonId(kind, number, found.alpha_2)


def parse_person_id(
    number: str, id_type: str | IdType | None = None, nationality: str | None = None
) -> PersonId:
    """A person's identification from an import row or a lookup: ``id_type`` (resident_id
    when left out), its number, and the nationality of a passport; raises why not."""
    try:
        kind = IdType(id_type or IdType.RESIDENT_ID)
    except ValueError:
        names = ", ".join(t.value for t in IdType)
        raise IdentifierError(f"id_type must be one of {names}") from None
    if kind is IdType.FOREIGN_PERMANENT_RESIDENT:
        card = _permanent_resident(number)
        if nationality and country(nationality, "nationality") != card.nationality:
            raise IdentifierError(
                f"nationality: the card gives {card.nationality}, not {nationality.upper()}"
            )
        return card
    if kind is not IdType.PASSPORT and nationality:
        raise IdentifierError("nationality is given with a passport or permanent residence card")
    if kind is IdType.RESIDENT_ID:
        return PersonId(kind, parse_id_number(number))
    if kind in PERMIT_DIVISIONS:
        return PersonId(kind, _permit_number(number, kind))
    text = compact(number)
    if kind is IdType.MAINLAND_TRAVEL_PERMIT:
        if not _TRAVEL_PERMIT.match(text):
            raise IdentifierError(
                "a mainland travel permit number is H or M and 8 digits (Hong Kong, Macao) or "
                "8 digits (Taiwan), 10 digits on older permits"
            )
        return PersonId(kind, text)
    if not nationality:
        raise IdentifierError("a passport needs its nationality (ISO 3166-1 alpha-2)")
    if not _PASSPORT.match(text):
        raise IdentifierError("a passport number is 5 to 20 letters and digits")
    return PersonId(kind, text, country(nationality, "nationality"))


def parse_company_id(number: str, jurisdiction: str | None = None) -> CompanyId:
    """A company's identification: a USCC when ``jurisdiction`` is left out or ``CN``, else
    that jurisdiction's registry number, checked by python-stdnum where it knows the format
    (``REGISTRY_FORMATS``), as a Hong Kong CR number for HK, and by a generic shape elsewhere."""
    if jurisdiction is None or jurisdiction.strip().upper() == "CN":
        code = parse_uscc(number)
        return CompanyId("CN", code.code, code.valid)
    where = country(jurisdiction)
    # Hyphens may be part of a foreign number (a Cayman MC-123456): only spaces go.
    text = (number or "").strip().upper().replace(" ", "")
    if where == "HK":
        if not _HK_CR.match(text):
            raise IdentifierError("a Hong Kong CR number is 7 or 8 digits")
        return CompanyId(where, text)
    module = REGISTRY_FORMATS.get(where)
    if module is not None:
        checker = importlib.import_module(module)
        try:
            return CompanyId(where, checker.compact(checker.validate(text)))
        except ValidationError as exc:
            name = str(checker.__doc__ or module).split("\n", 1)[0].rstrip(".")
            raise IdentifierError(f"not a valid {name} ({where}): {exc}") from None
    if not _REGISTRY_NUMBER.match(text):
        raise IdentifierError(
            "a registry number is 1 to 30 letters, digits, '.', '/' and '-', beginning with "
            "a letter or digit"
        )
    return CompanyId(where, text)


def parse_party_key(key: str) -> PersonId | CompanyId:
    """Any party's key, as links, records and lookups name it (see above); raises why not."""
    text = (key or "").strip()
    head, sep, rest = text.partition(":")
    head = head.lower() if head.lower() in _ID_TYPES else head.upper()
    if not sep:
        if looks_like_uscc(text) and not RIC_SHAPE.match(compact(text)):
            return parse_company_id(text)
        try:
            return parse_person_id(text)
        except IdentifierError:
            if looks_like_uscc(text):
                return parse_company_id(text)
            raise
    if head == IdType.PASSPORT:
        nationality, sep, number = rest.partition(":")
        if not sep:
            raise IdentifierError("a passport's key is passport:<nationality>:<number>")
        return parse_person_id(number, IdType.PASSPORT, nationality)
    if head in _ID_TYPES:
        return parse_person_id(rest, head)
    if len(head) == 2 and head.isalpha():
        return parse_company_id(rest, head)
    raise IdentifierError(
        "a key is a USCC, a resident identity number, <jurisdiction>:<registry number>, "
        "passport:<nationality>:<number> or <id type>:<number>"
    )


@lru_cache(maxsize=16384)
def is_person_key(key: str) -> bool:
    """True when ``key`` names a person (by any document), False for a company or nonsense
    (remembered for the keys met most recently: the access rules ask it of every record's
    subject)."""
    try:
        return isinstance(parse_party_key(key), PersonId)
    except IdentifierError:
        return False


def is_company_key(key: str) -> bool:
    """True when ``key`` names a company (a USCC or another jurisdiction's registry number)."""
    try:
        return isinstance(parse_party_key(key), CompanyId)
    except IdentifierError:
        return False


# Stored keys, taken apart without checking again: every key was checked when it was written.


def company_id_of(key: str) -> CompanyId:
    """A stored company key's jurisdiction and number (``HK:1234567`` -> HK, 1234567)."""
    head, sep, rest = key.partition(":")
    return CompanyId(head, rest) if sep else CompanyId("CN", key)


def person_id_of(key: str) -> PersonId:
    """A stored person key's document type, number and (for a passport) nationality."""
    head, sep, rest = key.partition(":")
    if not sep:
        return PersonId(IdType.RESIDENT_ID, key)
    if head == IdType.PASSPORT:
        nationality, _, number = rest.partition(":")
        return PersonId(IdType.PASSPORT, number, nationality)
    if head == IdType.FOREIGN_PERMANENT_RESIDENT:
        return _permanent_resident(rest)
    return PersonId(IdType(head), rest)


def mask_key(key: str) -> str:
    """A key as roles that may not see whole numbers see it: a person's number masked (its
    document and nationality stay), anything else as it is."""
    return person_id_of(key).masked if is_person_key(key) else key


def person_key(number: str, id_type: str | None = None, nationality: str | None = None) -> str:
    """A person's key from a lookup's arguments: a document's number with its type (and a
    passport's nationality), or, without a type, a key in any of the forms above."""
    if id_type is not None:
        return parse_person_id(number, id_type, nationality).key
    found = parse_party_key(number)
    if not isinstance(found, PersonId):
        raise IdentifierError("a company's key does not name a person")
    return found.key


def company_key(key: str) -> str:
    """A company's key, checked: a USCC or ``<jurisdiction>:<registry number>``."""
    if ":" not in key:
        return parse_uscc(key).code  # a digits-only USCC may also read as an identity number
    found = parse_party_key(key)
    if not isinstance(found, CompanyId):
        raise IdentifierError("a person's key does not name a company")
    return found.key
