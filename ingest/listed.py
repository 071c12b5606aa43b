"""The party a published list names, as the list gives it: a name, and a number that may be
whole, masked (``3101**********1239``), an organisation code (the USCC's characters 9-17) or a
passport's without its issuing country; and whether a registered party's key agrees with it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph.identifiers import IdentifierError, compact, parse_id_number, parse_uscc
from graph.parties import IdType, parse_person_id, person_id_of
from graph.rows import RowError
from ingest.tables import optional

# 证件类型 as publishers write it, and the document each names.
DOCUMENTS: dict[str, IdType] = {
    "身份证": IdType.RESIDENT_ID,
    "居民身份证": IdType.RESIDENT_ID,
    "护照": IdType.PASSPORT,
    "外国护照": IdType.PASSPORT,
    "港澳居民来往内地通行证": IdType.MAINLAND_TRAVEL_PERMIT,
    "台湾居民来往大陆通行证": IdType.MAINLAND_TRAVEL_PERMIT,
    "港澳居民居住证": IdType.HK_MACAO_PERMIT,
    "台湾居民居住证": IdType.TAIWAN_PERMIT,
    "外国人永久居留身份证": IdType.FOREIGN_PERMANENT_RESIDENT,
    "外国人永久居留证": IdType.FOREIGN_PERMANENT_RESIDENT,
}


def document(row: Mapping[str, Any]) -> IdType:
    """The document a row's person is identified by (a resident identity card when unsaid)."""
    shown = optional(row, "证件类型")
    if shown is None:
        return IdType.RESIDENT_ID
    found = DOCUMENTS.get(re.sub(r"\s+", "", shown))
    if found is None:
        known = "、".join(DOCUMENTS)
        raise RowError("证件类型", f"{shown} is not a document credgraph knows ({known})")
    return found


@dataclass(frozen=True)
class Party:
    """Who a published row is about, as the row gives it."""

    name: str
    person: bool
    number: str | None  # as published: whole, masked, an organisation code, or missing
    column: str  # the column the number came from
    id_type: IdType = IdType.RESIDENT_ID  # a person's document

    def key(self) -> str | None:
        """The registry key when the row gives a whole number; None when it must be matched (a
        masked number, an organisation code, or a passport, whose issuing country the national
        layouts do not give)."""
        if self.number is None or "*" in self.number:
            return None
        number = compact(self.number)
        if self.person and self.id_type is not IdType.RESIDENT_ID:
            if self.id_type is IdType.PASSPORT:
                return None
            try:
                return parse_person_id(self.number, self.id_type).key
            except IdentifierError as exc:
                raise RowError(self.column, str(exc)) from None
        try:
            if len(number) == 18 and not self.person:
                return parse_uscc(number).code
            if len(number) == 18:
                return parse_id_number(number)
        except IdentifierError as exc:
            raise RowError(self.column, str(exc)) from None
        if self.person:
            raise RowError(self.column, f"is not an identity number: {self.number!r}")
        if len(number) == 9:
            return None  # an organisation code: matched with the name
        raise RowError(self.column, f"is neither a USCC nor an organisation code: {self.number!r}")

    def agrees(self, key: str) -> bool:
        """Whether a registered party's key agrees with what the published number shows: the
        same document, and every character the mask leaves."""
        if self.number is None:
            return False
        shown = compact(self.number)
        if not self.person:
            if ":" in key:
                return False  # a company registered abroad has neither a USCC nor its code
            if len(shown) == 9 and "*" not in shown:
                return len(key) == 18 and key[8:17] == shown
            return _unmasked(shown, key)
        ident = person_id_of(key)
        return ident.id_type is self.id_type and _unmasked(shown, ident.number)


def _unmasked(shown: str, number: str) -> bool:
    """Whether ``number`` has every character ``shown`` leaves unmasked (``*``), and its length."""
    return len(shown) == len(number) and all(
        c == "*" or c == k for c, k in zip(shown, number, strict=True)
    )


class Unmatched(RowError):
    """A row whose party is not one registered party: kept out, with why."""


def unmatched(party: Party, candidates: int) -> Unmatched:
    kind = "people" if party.person else "companies"
    shown = party.number or "no number"
    if candidates == 0:
        detail = f"no registered {kind} named {party.name} agree with {shown}"
    else:
        detail = f"{candidates} registered {kind} named {party.name} agree with {shown}"
    return Unmatched(party.column, f"not matched: {detail}; never attached to a guess")
