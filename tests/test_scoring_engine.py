"""The scoring engine: table-driven cases and properties that hold for any records."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.catalogue import load_catalogue
from scoring.engine import (
    CAP,
    PROPAGATED,
    RECORD,
    Reach,
    RecordFact,
    Step,
    evaluate,
    path_weight,
)
from scoring.policy import add_months
from scoring.scheme import load_schemes

SCHEMES = load_schemes()
INDIVIDUAL = SCHEMES["individual"]
ENTERPRISE = SCHEMES["enterprise"]
TODAY = date(2026, 6, 1)
CATALOGUE = load_catalogue()


def fact(record_id: str, code: str, decided: date, status: str = "active") -> RecordFact:
    c = CATALOGUE[code]
    return RecordFact(record_id, code, c.category, c.polarity, c.severity, decided, status)


def test_engine_own_records_points_expiry_and_status() -> None:
    records = [
        fact("r1", "JUDGMENT_DEFAULT", date(2025, 1, 10)),  # serious: 36 months, counts
        fact("r2", "FARE_EVASION", date(2026, 1, 10)),  # minor: 3 months, expired
        fact("r3", "BLOOD_DONATION", date(2026, 3, 1)),  # good, counts
        fact("r4", "CREDIT_CARD_DEFAULT", date(2026, 2, 1), "disputed"),
        fact("r5", "TAX_ARREARS", date(2026, 2, 1), "removed"),
        fact("r6", "RED_LIGHT", date(2026, 7, 1)),  # after as_of: ignored
    ]
    score = evaluate("P", records, [], INDIVIDUAL, TODAY)
    by_id = {c.record_id: c for c in score.contributions}
    assert set(by_id) == {"r1", "r2", "r3", "r4", "r5"}
    assert (by_id["r1"].points, by_id["r1"].status, by_id["r1"].rule_id) == (
        -150,
        "active",
        "I-JUD-001",
    )
    assert by_id["r1"].expires_on == date(2028, 1, 10)
    assert (by_id["r2"].points, by_id["r2"].status, by_id["r2"].expires_on) == (
        0,
        "expired",
        date(2026, 4, 10),
    )
    assert by_id["r3"].points == 10
    assert (by_id["r4"].points, by_id["r4"].status) == (0, "disputed")
    assert (by_id["r5"].points, by_id["r5"].status) == (0, "removed")
    assert score.value == 1000 - 150 + 10
    assert score.level == "B"
    assert score.blacklisted and score.blacklist_reasons == ("record r1 under rule I-JUD-001",)
    in_force = {c.name for c in score.consequences if c.in_force}
    assert in_force == {
        "air_travel",
        "high_speed_rail",
        "luxury_hotels",
        "travel_abroad",
        "government_procurement",
    }
    assert all(c.scheme_version == "2026.2" for c in score.contributions)


def test_engine_levels_privileges_and_blacklist_by_level() -> None:
    good = [fact(f"g{i}", "BRAVE_ACT", date(2026, 1, i + 1)) for i in range(3)]  # 150 points
    score = evaluate("P", good, [], INDIVIDUAL, TODAY)
    cap = [c for c in score.contributions if c.kind == CAP]
    assert len(cap) == 1 and cap[0].points == -50 and cap[0].rule_id == "caps.max_positive"
    assert score.value == 1100 and score.level == "AAA"
    assert {c.name for c in score.consequences if c.in_force} == {
        "deposit_free_rental",
        "hotel_deposit_waiver",
        "fast_track_hospital",
        "business_start_support",
    }
    bad = [fact(f"b{i}", "LOAN_DEFAULT", date(2026, 1, i + 1)) for i in range(5)]
    low = evaluate("P", bad, [], INDIVIDUAL, TODAY)
    assert low.value == 500 and low.level == "D"
    assert low.blacklist_reasons == ("level D",)
    assert {"bank_loan", "government_procurement"} <= {
        c.name for c in low.consequences if c.in_force
    }


def test_engine_propagation_names_source_and_path() -> None:
    company_record = fact("c1", "WAGE_ARREARS", date(2025, 12, 1))
    # The company C's record reaches its legal representative P (one hop, against the arrow).
    direct = Reach("C", company_record, (Step("LEGAL_REPRESENTATIVE_OF", "backward", "P"),))
    # ... and also through P's 40 % shareholding: a second path, a second contribution.
    via_stake = Reach("C", company_record, (Step("SHAREHOLDER_OF", "backward", "P", stake=0.4),))
    score = evaluate("P", [], [direct, via_stake, direct], INDIVIDUAL, TODAY)
    first, second = [c for c in score.contributions if c.kind == PROPAGATED]
    assert {first.record_id, second.record_id} == {"c1"} and first.source == "C"
    assert first.rule_id == "I-FALL-WS"  # no individual rule for WAGE_ARREARS: the fallback
    assert (first.points, first.path) == (-40.0, direct.path)  # -80 x 0.5
    assert second.points == pytest.approx(-16.0)  # -80 x 0.5 x 0.4
    assert second.path == via_stake.path
    assert score.value == 944.0  # the repeated path is one path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((Step("LEGAL_REPRESENTATIVE_OF", "backward", "P"),), 0.5),
        ((Step("SHAREHOLDER_OF", "backward", "P", stake=0.5),), 0.25),
        (
            (Step("BRANCH_OF", "forward", "X"), Step("LEGAL_REPRESENTATIVE_OF", "backward", "P")),
            0.5 * 0.5 * 0.5,
        ),
        ((Step("OFFICER_OF", "forward", "X"),), None),  # not configured to carry risk
        ((Step("BRANCH_OF", "forward", "X"),) * 3, None),  # beyond max_hops
        ((), None),
    ],
)
def test_engine_path_weight(path: tuple[Step, ...], expected: float | None) -> None:
    weight = path_weight(path, INDIVIDUAL)
    assert weight == (pytest.approx(expected) if expected is not None else None)


def test_engine_good_records_and_expired_ones_do_not_propagate() -> None:
    path = (Step("LEGAL_REPRESENTATIVE_OF", "forward", "C"),)
    reaches = [
        Reach("P", fact("p1", "BLOOD_DONATION", date(2026, 1, 1)), path),
        Reach("P", fact("p2", "FARE_EVASION", date(2025, 1, 1)), path),  # expired
        Reach("P", fact("p3", "DRUNK_DRIVING", date(2026, 1, 1), "disputed"), path),
        Reach("C", fact("c9", "DRUNK_DRIVING", date(2026, 1, 1)), path),  # the subject itself
    ]
    score = evaluate("C", [], reaches, ENTERPRISE, TODAY)
    assert score.contributions == ()
    assert score.value == 100 and score.level == "A"


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),
        (date(2024, 5, 1), 36, date(2027, 5, 1)),
    ],
)
def test_engine_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


codes = st.sampled_from(sorted(CATALOGUE))
statuses = st.sampled_from(["active", "active", "active", "disputed", "removed", "restored"])
records = st.lists(
    st.builds(
        lambda i, code, days, status: fact(f"r{i}", code, TODAY - timedelta(days=days), status),
        st.integers(0, 10_000),
        codes,
        st.integers(-400, 2000),
        statuses,
    ),
    max_size=30,
    unique_by=lambda r: r.record_id,
)
steps = st.lists(
    st.builds(
        Step,
        st.sampled_from(["LEGAL_REPRESENTATIVE_OF", "SHAREHOLDER_OF", "OFFICER_OF", "BRANCH_OF"]),
        st.sampled_from(["forward", "backward"]),
        st.sampled_from(["A", "B", "S"]),
        st.floats(0.01, 1.0),
    ),
    min_size=1,
    max_size=3,
).map(tuple)
reaches = st.lists(
    st.builds(
        Reach,
        st.sampled_from(["A", "B", "S"]),
        records.map(lambda r: r[0] if r else fact("x", "LOAN_DEFAULT", TODAY)),
        steps,
    ),
    max_size=10,
    # A record id is one record: the same record from the same source along the same path is
    # the same reach, never two with different facts (which the engine could not order).
    unique_by=lambda r: (r.source, r.record.record_id, r.path),
)


@settings(max_examples=300, deadline=None)
@given(records, reaches, st.sampled_from(sorted(SCHEMES)))
def test_engine_value_is_base_plus_contributions(
    own: list[RecordFact], others: list[Reach], scheme_id: str
) -> None:
    scheme = SCHEMES[scheme_id]
    score = evaluate("S", own, others, scheme, TODAY)
    assert score.value == round(scheme.base + sum(c.points for c in score.contributions), 2)
    # Deterministic, whatever the order of the input.
    again = evaluate("S", list(reversed(own)), list(reversed(others)), scheme, TODAY)
    assert again == score
    # Nothing decided after as_of appears; a record is listed once; non-counting ones give 0.
    own_ids = [c.record_id for c in score.contributions if c.kind == RECORD]
    assert len(own_ids) == len(set(own_ids))
    assert all(c.decided_on is None or c.decided_on <= TODAY for c in score.contributions)
    assert all(c.points == 0 for c in score.contributions if c.status != "active" and c.kind != CAP)
    assert all(c.points < 0 and c.path for c in score.contributions if c.kind == PROPAGATED)
    assert score.level == scheme.level_of(math.floor(score.value)).name
