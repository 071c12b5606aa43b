"""Parties beyond the USCC and the resident identity number: residents of Hong Kong, Macao and
Taiwan, foreign nationals and foreign or offshore companies, each with one key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.identifiers import IdentifierError, ric_check_character
from graph.parties import (
    CompanyId,
    IdType,
    PersonId,
    is_person_key,
    parse_company_id,
    parse_party_key,
    parse_person_id,
)
from tests.factories import id_number, uscc


def _permit(division: str, born: str = "19900101", sequence: str = "123") -> str:
    first17 = division + born + sequence
    return first17 + ric_check_character(first17)


HK_PERMIT = _permit("810000")
TW_PERMIT = _permit("830000", "19750615", "042")
RESIDENT_CARD = _permit("931840", "19850612", "001")  # 2023 card: Shanghai, US (840)

KEYS = {
    id_number(1): (PersonId, IdType.RESIDENT_ID),
    f"hk_macao_permit:{HK_PERMIT}": (PersonId, IdType.HK_MACAO_PERMIT),
    f"taiwan_permit:{TW_PERMIT}": (PersonId, IdType.TAIWAN_PERMIT),
    "mainland_travel_permit:H12345678": (PersonId, IdType.MAINLAND_TRAVEL_PERMIT),
    "mainland_travel_permit:12345678": (PersonId, IdType.MAINLAND_TRAVEL_PERMIT),
    "passport:US:A1234567": (PersonId, IdType.PASSPORT),
    f"foreign_permanent_resident:{RESIDENT_CARD}": (PersonId, IdType.FOREIGN_PERMANENT_RESIDENT),
    "foreign_permanent_resident:GBR310806120012": (PersonId, IdType.FOREIGN_PERMANENT_RESIDENT),
    uscc(1): (CompanyId, "CN"),
    "HK:1234567": (CompanyId, "HK"),
    "KY:MC-123456": (CompanyId, "KY"),
    "VG:1234567": (CompanyId, "VG"),
    "TW:04595257": (CompanyId, "TW"),
}


@pytest.mark.parametrize("key", KEYS)
def test_every_kind_of_party_has_a_key_that_parses_back(key: str) -> None:
    kind, detail = KEYS[key]
    party = parse_party_key(key)
    assert isinstance(party, kind)
    assert (party.id_type if isinstance(party, PersonId) else party.jurisdiction) == detail
    assert party.key == key
    assert parse_party_key(party.key) == party
    assert is_person_key(key) is (kind is PersonId)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("passport:XX:A1234567", "nationality must be an ISO 3166-1 alpha-2 code"),
        ("passport:US", "passport:<nationality>:<number>"),
        ("passport:US:A1", "5 to 20 letters and digits"),
        ("HK:12", "a Hong Kong CR number is 7 or 8 digits"),
        ("TW:12345678", "not a valid UBN"),
        ("ZZ:123", "jurisdiction must be an ISO 3166-1 alpha-2 code"),
        ("KY:-123", "beginning with a letter or digit"),
        (f"hk_macao_permit:{id_number(1)}", "begins 810000 or 820000"),
        (f"taiwan_permit:{HK_PERMIT}", "begins 830000"),
        (f"hk_macao_permit:{HK_PERMIT[:-1]}{'0' if HK_PERMIT[-1] != '0' else '1'}",
         "check character is wrong"),
        ("mainland_travel_permit:X1234567", "H or M and 8 digits"),
        ("visa:123", "a key is a USCC"),
        (f"foreign_permanent_resident:8{RESIDENT_CARD[1:]}", "begins with 9"),
        (f"foreign_permanent_resident:{_permit('999840', '19850612', '001')}", "a province"),
        (f"foreign_permanent_resident:{_permit('931999', '19850612', '001')}", "ISO 3166-1 numeric"),
        ("foreign_permanent_resident:XYZ310806120012", "no ISO 3166-1 alpha-3"),
        ("foreign_permanent_resident:GBR3108061200", "18 characters \\(15 on cards issued before 2023"),
    ],
)  # fmt: skip
def test_bad_keys_say_why(key: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_party_key(key)
    assert is_person_key(key) is False


def test_import_fields_make_the_same_keys() -> None:
    assert parse_person_id("a1234567", "passport", "us").key == "passport:US:A1234567"
    assert parse_person_id(HK_PERMIT, "hk_macao_permit").key == f"hk_macao_permit:{HK_PERMIT}"
    assert parse_person_id(id_number(2)).key == id_number(2)
    assert parse_company_id("1234567", "hk").key == "HK:1234567"
    assert parse_company_id(uscc(3)).key == uscc(3)
    assert parse_company_id(uscc(3), "CN").key == uscc(3)
    with pytest.raises(IdentifierError, match="given with a passport or permanent residence"):
        parse_person_id(id_number(2), "resident_id", "US")
    with pytest.raises(IdentifierError, match="id_type must be one of"):
        parse_person_id("123", "visa")
    with pytest.raises(IdentifierError, match="needs its nationality"):
        parse_person_id("A1234567", "passport")
    # A permanent resident card says its holder's nationality: a different one is refused.
    card = parse_person_id(RESIDENT_CARD, "foreign_permanent_resident", "us")
    assert (card.key, card.nationality) == (f"foreign_permanent_resident:{RESIDENT_CARD}", "US")
    assert parse_person_id("GBR310806120012", "foreign_permanent_resident").nationality == "GB"
    with pytest.raises(IdentifierError, match="the card gives US, not GB"):
        parse_person_id(RESIDENT_CARD, "foreign_permanent_resident", "GB")


def test_other_numbers_are_masked_like_identity_numbers() -> None:
    masked = {k: parse_party_key(k) for k in KEYS}
    assert masked[id_number(1)].masked == id_number(1)[:6] + "********" + id_number(1)[-4:]  # type: ignore[union-attr]
    assert parse_person_id(HK_PERMIT, "hk_macao_permit").masked == (
        f"hk_macao_permit:810000********{HK_PERMIT[-4:]}"
    )
    assert parse_person_id("A1234567", "passport", "US").masked == "passport:US:****4567"
    assert parse_person_id("H12345678", "mainland_travel_permit").masked == (
        "mainland_travel_permit:*****5678"
    )
    assert parse_person_id(RESIDENT_CARD, "foreign_permanent_resident").masked == (
        f"foreign_permanent_resident:931840********{RESIDENT_CARD[-4:]}"
    )


@given(st.text(max_size=40))
def test_any_text_is_a_key_or_a_reason(text: str) -> None:
    try:
        party = parse_party_key(text)
    except IdentifierError as exc:
        assert str(exc)
    else:
        assert parse_party_key(party.key) == party
