"""Identifier checks: the fast path agrees with python-stdnum; masking; decoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from graph.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    _division_years,
    mask_id_number,
    parse_id_number,
    parse_uscc,
    ric_check_character,
    uscc_check_character,
)
from tests.factories import id_number
from tests.factories import uscc as make_uscc

uscc_like = st.builds(
    lambda head, tail: head + tail,
    st.text("0123456789", min_size=8, max_size=8),
    st.text(USCC_ALPHABET, min_size=10, max_size=10),
)
ric_like = st.builds(
    lambda region, y, m, d, seq, check: f"{region}{y:04d}{m:02d}{d:02d}{seq:03d}{check}",
    st.sampled_from(["110105", "310115", "440305", "513338", "999999", "110103"]),
    st.integers(1900, 2030),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 999),
    st.sampled_from("0123456789X"),
)


@settings(max_examples=500)
@given(uscc_like)
def test_identifiers_uscc_agrees_with_stdnum(code: str) -> None:
    try:
        uscc.validate(code)
        expected = True
    except InvalidChecksum:
        expected = False
    assert parse_uscc(code).valid is expected


@settings(max_examples=1000)
@given(ric_like)
def test_identifiers_id_number_agrees_with_stdnum(number: str) -> None:
    try:
        ric.validate(number)
        stdnum_ok = True
    except ValidationError:
        stdnum_ok = False
    try:
        parse_id_number(number)
        ours_ok = True
    except IdentifierError:
        ours_ok = False
    # We also refuse birth dates in the future, which stdnum accepts.
    if stdnum_ok and not ours_ok:
        with pytest.raises(IdentifierError, match="in the future"):
            parse_id_number(number)
    elif ours_ok and not stdnum_ok:
        # stdnum wants the division to have existed in the birth year; we accept a division
        # created later (numbers are issued years after birth), never one retired before.
        spans, born = _division_years(number[:6]), int(number[6:10])
        assert spans and not any(start <= born <= end for start, end in spans)
        assert any(end >= born for _, end in spans)


@given(st.text(USCC_ALPHABET, min_size=17, max_size=17).filter(lambda s: s[:8].isdigit()))
def test_identifiers_check_characters_match_stdnum(first17: str) -> None:
    assert uscc_check_character(first17) == uscc.calc_check_digit(first17)
    digits = "".join(c if c.isdigit() else "7" for c in first17)
    assert ric_check_character(digits) == ric.calc_check_digit(digits + "0")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "a USCC has 18 characters, got 0"),
        ("9111010500000000", "a USCC has 18 characters, got 16"),
        ("A1110105000000001Y", "characters 1-8 of a USCC must be digits"),
        ("911101050000000O1Y", "got 'O'"),
    ],
)
def test_identifiers_malformed_uscc_says_why(value: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_uscc(value)


def test_identifiers_uscc_decoding_and_compaction() -> None:
    code = parse_uscc(" " + make_uscc(1).lower() + " ")
    assert code.code == make_uscc(1) and code.valid
    assert code.organisation_type == "enterprise (企业)"
    assert code.region == "北京市朝阳区"
    assert parse_uscc(make_uscc(1, valid=False)).valid is False


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("11010519800101007", "18 characters, got 17"),
        ("11010519800101007Y", "17 digits and a digit or X"),
        ("110105198013010075", "check character is wrong"),
        (
            "11010519801301007" + ric_check_character("11010519801301007"),
            "birth date does not exist",
        ),
        (
            "99010519800101007" + ric_check_character("99010519800101007"),
            "division 990105 is not a division code",
        ),
        (
            # 崇文区 (110103) was merged into 东城区 in 2010: no child born after can carry it.
            "11010320150101007" + ric_check_character("11010320150101007"),
            "division 110103 was retired in 2010, before its holder's birth in 2015",
        ),
        (
            # 商水县 under the old 周口地区 (412723, stdnum's issue #442), retired in 2000.
            "41272320050101002" + ric_check_character("41272320050101002"),
            "division 412723 was retired in 2000, before its holder's birth in 2005",
        ),
    ],
)
def test_identifiers_bad_id_numbers_say_why(value: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_id_number(value)


def _number(first17: str) -> str:
    return first17 + ric_check_character(first17)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        # The issue's own: Pudong New Area (310115, created in 1992), a resident born in 1960.
        ("310115196001011239", "a division created after the birth year"),
        (_number("11011819700101002"), "密云区 (2015-) for someone born in 1970"),
        (_number("41272319700101002"), "a retired division, born before its retirement"),
        (_number("11010320100101007"), "a retired division, born in the year it was retired"),
        (_number("11010519800101007"), "a division in force since before the birth"),
    ],
)
def test_identifiers_accept_the_division_a_number_was_issued_under(number: str, why: str) -> None:
    assert parse_id_number(number) == number, why


def test_identifiers_masking() -> None:
    assert mask_id_number("110105198001010075") == "110105********0075"
    assert mask_id_number(id_number(3)).count("*") == 8
    assert mask_id_number("123") == "***"
