"""Input refused with the field and the reason: invisible, control and bidirectional-override
characters in names and texts, impossible birth dates, record codes outside the catalogue and
a polarity that contradicts it. The same checks serve the importer and the mutations."""

from __future__ import annotations

from typing import Any

import pytest

from graph.identifiers import ric_check_character
from graph.models import EntityKind
from graph.rows import RowError, parse_company, parse_link, parse_person, parse_record
from tests.factories import company_row, id_number, link_row, person_row, record_row, uscc


def born(day: str) -> str:
    first17 = f"110105{day}123"
    return first17 + ric_check_character(first17)


HIDDEN = {
    "U+202E right-to-left override": "\u202e",
    "U+200B zero-width space": "\u200b",
    "U+FEFF byte order mark": "\ufeff",
    "U+0085 next line": "\u0085",
    "U+2066 left-to-right isolate": "\u2066",
    "U+2028 line separator": "\u2028",
    "U+0001 control": "\x01",
    "U+000A line feed in a name": "\n",
}


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_rows_refuse_hidden_characters_in_names(char: str) -> None:
    with pytest.raises(RowError) as person:
        parse_person(person_row(1, name=f"张{char}三"))
    assert person.value.field == "name"
    assert f"U+{ord(char):04X}" in person.value.reason and "position 2" in person.value.reason
    with pytest.raises(RowError) as company:
        parse_company(company_row(1, name=f"北京{char}科技有限公司"))
    assert company.value.field == "name"


@pytest.mark.parametrize("field", ["description", "penalty", "authority", "case_number"])
def test_rows_refuse_bidi_overrides_in_record_texts(field: str) -> None:
    with pytest.raises(RowError) as refused:
        parse_record(record_row("X1", uscc(1), **{field: "罚款\u202e元0001"}))
    assert refused.value.field == field and "U+202E" in refused.value.reason


def test_rows_keep_line_breaks_in_free_text_and_plain_names() -> None:
    record = parse_record(record_row("X2", uscc(1), description="第一行\n第二行\t完"))
    assert record.description == "第一行\n第二行\t完"
    assert parse_person(person_row(1, name="欧阳 娜娜")).name == "欧阳 娜娜"
    assert parse_person(person_row(1, name="Zoë Müller-Lüdenscheidt")).name.startswith("Zoë")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (born("18000101"), "before 1900"),
        (born("18991231"), "before 1900"),
        (born("20991231"), "in the future"),
    ],
)
def test_rows_refuse_impossible_birth_dates(number: str, reason: str) -> None:
    with pytest.raises(RowError) as refused:
        parse_person(person_row(1, id_number=number))
    assert refused.value.field == "id_number" and reason in refused.value.reason


def test_rows_accept_a_birth_date_in_1900() -> None:
    assert parse_person(person_row(1, id_number=born("19000101"))).id_number == born("19000101")


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"code": "MADE_UP_CODE"}, "code", "MADE_UP_CODE is not in the record-code catalogue"),
        ({"polarity": "good"}, "polarity",
         "JUDGMENT_DEFAULT is a warning record in the catalogue, not good"),
        ({"code": "BLOOD_DONATION", "category": "social", "polarity": "warning"}, "polarity",
         "BLOOD_DONATION is a good record in the catalogue, not warning"),
    ],
)  # fmt: skip
def test_rows_refuse_codes_the_catalogue_contradicts(
    extra: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(RowError) as refused:
        parse_record(record_row("X3", id_number(1), **extra))
    assert (refused.value.field, refused.value.reason) == (field, reason)


def test_a_company_row_names_its_registering_bureau_and_its_jurisdiction() -> None:
    parsed = parse_company(company_row(1, registration_authority="上海市市场监督管理局"))
    assert parsed.registration_authority == "上海市市场监督管理局"
    assert parse_company(company_row(1, jurisdiction="cn")).uscc == uscc(1)


@pytest.mark.parametrize(
    ("jurisdiction", "field", "reason"),
    [
        # A file written when `jurisdiction` held the bureau is told where it goes now.
        (
            "北京市朝阳区市场监督管理局",
            "jurisdiction",
            "the authority that registered the company ",
        ),
        ("XX", "jurisdiction", "is an ISO 3166-1 alpha-2 code (CN for a USCC), got 'XX'"),
        ("HK", "uscc", "a USCC is issued in CN only; a company registered in HK gives its "),
    ],
)
def test_a_company_row_refuses_a_jurisdiction_that_is_not_the_uscc_s(
    jurisdiction: str, field: str, reason: str
) -> None:
    with pytest.raises(RowError) as refused:
        parse_company(company_row(1, jurisdiction=jurisdiction))
    assert refused.value.field == field and reason in refused.value.reason


def _permit(division: str, born: str = "19850315", sequence: str = "021") -> str:
    first17 = division + born + sequence
    return first17 + ric_check_character(first17)


def test_a_company_row_registered_elsewhere_is_keyed_by_jurisdiction_and_number() -> None:
    row = company_row(1, jurisdiction="hk", registry_number="1234567")
    del row["uscc"]
    parsed = parse_company(row)
    assert (parsed.uscc, parsed.uscc_valid) == ("HK:1234567", True)
    cayman = {**row, "jurisdiction": "KY", "registry_number": "MC-283746"}
    assert parse_company(cayman).uscc == "KY:MC-283746"
    # A format python-stdnum knows is checked by it: a US EIN has 9 digits.
    with pytest.raises(RowError) as refused:
        parse_company({**row, "jurisdiction": "US", "registry_number": "12-345"})
    assert refused.value.field == "registry_number" and "(US)" in refused.value.reason
    with pytest.raises(RowError) as refused:
        parse_company({**row, "registry_number": None})
    assert (refused.value.field, refused.value.reason) == ("registry_number", "is required")
    with pytest.raises(RowError) as refused:
        parse_company(company_row(1, registry_number="1234567"))
    assert refused.value.field == "registry_number" and "give its jurisdiction" in str(
        refused.value
    )


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({}, id_number(1)),
        ({"id_type": "hk_macao_permit", "id_number": _permit("810000")}, None),
        ({"id_type": "TAIWAN_PERMIT", "id_number": _permit("830000")}, None),
        ({"id_type": "mainland_travel_permit", "id_number": "h12345678"}, None),
        ({"id_type": "passport", "id_number": "E1234 5678", "nationality": "us"}, None),
        ({"id_type": "foreign_permanent_resident", "id_number": _permit("931840")}, None),
        ({"id_type": "foreign_permanent_resident", "id_number": "gbr310806120012"}, None),
    ],
)
def test_a_person_row_is_keyed_by_its_document(extra: dict[str, Any], key: str | None) -> None:
    parsed = parse_person(person_row(1, **extra))
    if key is None:
        id_type = str(extra["id_type"]).lower()
        number = str(extra["id_number"]).upper().replace(" ", "")
        nationality = extra.get("nationality")
        key = (
            f"passport:{str(nationality).upper()}:{number}"
            if nationality
            else f"{id_type}:{number}"
        )
    assert parsed.id_number == key


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"id_type": "passport", "id_number": "E12345678"}, "nationality", "is required"),
        ({"id_number": "E12345678", "nationality": "US"}, "nationality", "passport or perm"),
        ({"id_type": "passport", "id_number": "E1", "nationality": "US"}, "id_number", "5 to 20"),
        ({"id_type": "passport", "id_number": "E12345", "nationality": "XX"}, "nationality", ""),
        ({"id_type": "visa", "id_number": "E12345678"}, "id_type", "must be one of"),
        ({"id_type": "hk_macao_permit", "id_number": id_number(1)}, "id_number", "810000"),
        # A permit's number is not a resident identity number, whatever its check character.
        ({"id_number": _permit("810000")}, "id_number", "residence permit of Hong Kong"),
        ({"id_type": "mainland_travel_permit", "id_number": "X1234567"}, "id_number", "H or M"),
        (
            {"id_type": "foreign_permanent_resident", "id_number": _permit("931840")}
            | {"nationality": "GB"},
            "nationality",
            "the card gives US, not GB",
        ),
    ],
)
def test_a_person_row_names_the_field_at_fault(
    extra: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(RowError) as refused:
        parse_person(person_row(1, **extra))
    assert refused.value.field == field and reason in refused.value.reason


def test_links_and_records_name_any_party_by_its_key() -> None:
    hk, passport = "HK:1234567", "passport:GB:123456789"
    holding = parse_link(link_row("SHAREHOLDER_OF", hk, uscc(1), stake="1"))
    assert (holding.from_key, holding.from_kind, holding.to_key) == (
        hk,
        EntityKind.COMPANY,
        uscc(1),
    )
    founder = parse_link(link_row("SHAREHOLDER_OF", passport, "ky:mc-1", stake="0.6"))
    assert (founder.from_key, founder.from_kind, founder.to_key) == (
        passport,
        EntityKind.PERSON,
        "KY:MC-1",
    )
    director = parse_link(link_row("OFFICER_OF", passport, hk))
    assert (director.from_key, director.to_key) == (passport, hk)
    with pytest.raises(RowError) as refused:
        parse_link(link_row("LEGAL_REPRESENTATIVE_OF", hk, uscc(1)))
    assert refused.value.field == "from" and "not a person" in refused.value.reason
    with pytest.raises(RowError) as refused:
        parse_link(link_row("SHAREHOLDER_OF", uscc(1), passport, stake="1"))
    assert refused.value.field == "to" and "not a company" in refused.value.reason
    record = parse_record(record_row("R1", "Passport:gb:123456789"))
    assert (record.subject, record.subject_kind) == (passport, EntityKind.PERSON)
    with pytest.raises(RowError) as refused:
        parse_record(record_row("R1", "ZZ:1"))
    assert refused.value.field == "subject" and "ISO 3166-1" in refused.value.reason
