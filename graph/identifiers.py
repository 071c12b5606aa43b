"""Unified Social Credit Codes (GB 32100-2015) and resident identity numbers (GB 11643-1999).

Validation is python-stdnum's. The registry's own policy on top of it:
- a malformed code or identity number is rejected, with the reason;
- a well-formed USCC whose check character is wrong is accepted and flagged, as real registries
  hold such codes; an identity number with a wrong check character is rejected;
- identity numbers leave the service masked (``110105********1234``) unless a role needs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum import numdb

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Provinces of GB/T 2260 that no resident identity number carries: the residence permits of
# their residents (港澳台居民居住证) carry 810000, 820000 and 830000 instead.
PERMIT_PROVINCES = {"81": "Hong Kong", "82": "Macao", "83": "Taiwan"}

# GB 32100-2015 appendix: registration authority (1st character) and organisation type (2nd).
ORGANISATION_TYPES: dict[str, str] = {
    "11": "government organ (机关)",
    "12": "public institution (事业单位)",
    "13": "mass organisation under central staffing (群众团体)",
    "19": "other organisation under staffing authority (其他)",
    "21": "foreign resident organisation (外国常驻新闻机构)",
    "29": "other diplomatic organisation (其他)",
    "31": "law firm (律师执业机构)",
    "32": "notary office (公证处)",
    "33": "basic legal service office (基层法律服务所)",
    "34": "judicial appraisal institution (司法鉴定机构)",
    "35": "arbitration commission (仲裁委员会)",
    "39": "other judicial administration organisation (其他)",
    "41": "foreign cultural centre (外国在华文化中心)",
    "49": "other cultural organisation (其他)",
    "51": "social organisation (社会团体)",
    "52": "private non-enterprise unit (民办非企业单位)",
    "53": "foundation (基金会)",
    "59": "other civil affairs organisation (其他)",
    "61": "foreign tourism office (外国旅游部门常驻代表机构)",
    "69": "other tourism organisation (其他)",
    "71": "religious venue (宗教活动场所)",
    "72": "religious college (宗教院校)",
    "79": "other religious organisation (其他)",
    "81": "trade union (工会)",
    "89": "other trade union organisation (其他)",
    "91": "enterprise (企业)",
    "92": "individual business (个体工商户)",
    "93": "farmers' cooperative (农民专业合作社)",
    "A1": "military organisation (军队事业单位)",
    "A9": "other military organisation (其他)",
    "N1": "rural collective economic organisation (农村集体经济组织)",
    "N2": "village economic cooperative (村级经济合作社)",
    "N3": "village group economic cooperative (组级经济合作社)",
    "N9": "other agricultural organisation (其他)",
    "Y1": "other (其他)",
}


class IdentifierError(ValueError):
    """A code or identity number that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Uscc:
    """A well-formed Unified Social Credit Code and whether its check character is right."""

    code: str
    valid: bool

    @property
    def organisation_type(self) -> str | None:
        return ORGANISATION_TYPES.get(self.code[:2])

    @property
    def region(self) -> str | None:
        return division_name(self.code[2:8])


_USCC_SHAPE = re.compile(r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$")
RIC_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_INDEX = {c: n for n, c in enumerate(USCC_ALPHABET)}


def compact(value: str) -> str:
    """``value`` trimmed, upper-case, without spaces and hyphens."""
    # The common case (already compact) skips stdnum's generic and slow clean().
    text = (value or "").strip().upper()
    if " " in text or "-" in text:
        text = text.replace(" ", "").replace("-", "")
    return text


@lru_cache(maxsize=16384)
def parse_uscc(value: str) -> Uscc:
    """Parse a USCC: malformed raises ``IdentifierError``; a bad check character is flagged.

    Agrees with ``stdnum.cn.uscc.validate`` (a property test checks it) but runs without its
    generic clean-up, which dominated the cost of a bulk import. Remembered for the codes met
    most recently: every company the API shows is parsed for its region and type.
    """
    code = compact(value)
    if not _USCC_SHAPE.match(code):
        if len(code) != 18:
            raise IdentifierError(f"a USCC has 18 characters, got {len(code)}")
        if not (code[:8].isascii() and code[:8].isdigit()):
            raise IdentifierError("characters 1-8 of a USCC must be digits")
        bad = sorted({c for c in code[8:] if c not in USCC_ALPHABET})
        raise IdentifierError(
            f"characters 9-18 of a USCC come from {USCC_ALPHABET}; got {''.join(bad)!r}"
        )
    return Uscc(code, valid=code[17] == uscc_check_character(code[:17]))


@lru_cache(maxsize=16384)
def parse_id_number(value: str) -> str:
    """Validate a resident identity number; return it compact and upper-case, or raise why not
    (a valid number is remembered: an import meets each person's again in their links and records).

    The checks of ``stdnum.cn.ric.validate`` (length, format, check character, birth date),
    but not its rule that the division existed in the birth year: a number carries the division
    in force where it was first issued, usually years after birth (``division_carried``).
    """
    number, born = gb11643(value, "resident identity number", "identity number")
    residents = PERMIT_PROVINCES.get(number[:2])
    if residents is not None:
        raise IdentifierError(
            f"a number beginning {number[:6]} is a residence permit of {residents} residents, "
            "not a resident identity number: give its id type"
        )
    spans = _division_years(number[:6])
    if not spans:
        raise IdentifierError(
            f"the identity number's administrative division {number[:6]} is not a division "
            "code of GB/T 2260 (any edition since 1980)"
        )
    if not division_carried(spans, born.year):
        retired = max(end for _, end in spans)
        raise IdentifierError(
            f"the identity number's administrative division {number[:6]} was retired in "
            f"{retired}, before its holder's birth in {born.year}"
        )
    return number


def gb11643(value: str, noun: str, short: str) -> tuple[str, date]:
    """An 18-character number of GB 11643 (a resident identity number, a residence permit),
    compact, and its holder's birth date; or raise why not, naming the document (``noun``,
    ``short``)."""
    number = compact(value)
    if len(number) != 18:
        raise IdentifierError(f"a {noun} has 18 characters, got {len(number)}")
    if not RIC_SHAPE.match(number):
        raise IdentifierError(f"a {noun} is 17 digits and a digit or X")
    if number[17] != ric_check_character(number[:17]):
        raise IdentifierError(f"the {short}'s check character is wrong")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(f"the {short}'s birth date does not exist") from None
    if born > date.today():
        raise IdentifierError(f"the {short}'s birth date is in the future")
    if born.year < 1900:
        raise IdentifierError(f"the {short}'s birth date {born.isoformat()} is before 1900")
    return number, born


def division_carried(spans: tuple[tuple[int, int], ...], born: int) -> bool:
    """Whether a number issued under a division in force in the years ``spans`` can belong to
    someone born in the year ``born``: the division existed at some time from that year until
    today. A number keeps the division where it was first issued, often years after birth (a
    resident of Pudong, created 1992, born in 1960); a child born after a division was retired
    cannot have been issued it. The table has years only: born in the year of retirement passes.
    """
    return any(end >= born for _start, end in spans)


@lru_cache(maxsize=8192)
def _division_years(code: str) -> tuple[tuple[int, int], ...]:
    """The years in which ``code`` named a county, from python-stdnum's table of division codes
    with their history (each edition of GB/T 2260 since 1980); empty for an unknown code."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    if not info:
        return ()
    spans = []
    for county in info.get("county", "").split(","):
        if not county.startswith("["):
            return ((0, 9999),)
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(spans)


def mask_id_number(number: str) -> str:
    """``110105199001011234`` -> ``110105********1234`` (birth date hidden)."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


@lru_cache(maxsize=16384)
def is_id_number(value: str) -> bool:
    """True when ``value`` is a valid identity number (remembered for the numbers met most
    recently: the API's access rules ask it of every record's subject)."""
    try:
        parse_id_number(value)
    except IdentifierError:
        return False
    return True


def looks_like_uscc(value: str) -> bool:
    """True when ``value`` could be a USCC rather than an identity number (cheap check)."""
    code = value.strip().upper()
    return (
        len(code) == 18
        and code[:8].isascii()
        and code[:8].isdigit()
        and all(c in USCC_ALPHABET for c in code[8:])
    )


@lru_cache(maxsize=4096)
def division_name(code: str) -> str | None:
    """The province, prefecture and county of an administrative division code, if known."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    if not info:
        return None
    county = info.get("county", "").split(",")[-1]
    if county.startswith("["):
        county = county.split("]", 1)[-1]
    parts = [info.get("province", ""), info.get("prefecture", ""), county]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return "".join(seen) or None


def uscc_check_character(first17: str) -> str:
    """The check character completing 17 USCC characters (GB 32100: weights 3^i mod 31)."""
    total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def ric_check_character(first17: str) -> str:
    """The check character completing 17 identity-number digits (GB 11643, mod 11)."""
    checksum = (1 - 2 * int(first17, 13)) % 11
    return "X" if checksum == 10 else str(checksum)
