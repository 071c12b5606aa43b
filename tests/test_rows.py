"""Input refused with the field and the reason: invisible, control and bidirectional-override
characters in names and texts, impossible birth dates, record codes outside the catalogue and
a polarity that contradicts it. The same checks serve the importer and the mutations."""

from __future__ import annotations

from typing import Any

import pytest

from graph.identifiers import ric_check_character
from graph.rows import RowError, parse_company, parse_person, parse_record
from tests.factories import company_row, id_number, person_row, record_row, uscc


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
    ("jurisdiction", "reason"),
    [
        # A file written when `jurisdiction` held the bureau is told where it goes now.
        ("北京市朝阳区市场监督管理局", "the authority that registered the company goes in "),
        ("XX", "is an ISO 3166-1 alpha-2 code (CN for a USCC), got 'XX'"),
        ("HK", "a USCC is issued in CN only, got HK"),
    ],
)
def test_a_company_row_refuses_a_jurisdiction_that_is_not_the_uscc_s(
    jurisdiction: str, reason: str
) -> None:
    with pytest.raises(RowError) as refused:
        parse_company(company_row(1, jurisdiction=jurisdiction))
    assert refused.value.field == "jurisdiction" and reason in refused.value.reason
