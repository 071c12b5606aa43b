"""Schemes as data: the shipped schemes load, and a bad scheme is refused with the exact place."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from scoring.catalogue import load_catalogue
from scoring.scheme import SCHEMES_DIR, SchemeError, load_schemes, parse_scheme


def shipped(name: str) -> dict[str, Any]:
    with (SCHEMES_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_scheme_shipped_schemes_load_with_enough_rules() -> None:
    schemes = load_schemes()
    individual, enterprise = schemes["individual"], schemes["enterprise"]
    assert individual.base == 1000 and len(individual.rules) >= 40
    assert [lv.name for lv in individual.levels] == ["AAA", "AA", "A", "B", "C", "D"]
    assert len(enterprise.rules) >= 30
    assert [lv.name for lv in enterprise.levels] == ["A", "B", "C", "D"]
    # The bands of DOMAIN.md.
    for value, level in [
        (1050, "AAA"),
        (1049, "AA"),
        (1030, "AA"),
        (1029, "A"),
        (960, "A"),
        (959, "B"),
        (850, "B"),
        (849, "C"),
        (600, "C"),
        (599, "D"),
        (-5, "D"),
    ]:
        assert individual.level_of(value).name == level


def test_scheme_rules_use_catalogue_codes_and_cover_it() -> None:
    catalogue = load_catalogue()
    schemes = load_schemes()
    used = {r.code for s in schemes.values() for r in s.rules if r.code}
    assert used <= set(catalogue)
    # Every code the generator may draw has a rule in the scheme for its subjects.
    for code in catalogue.values():
        for scheme in schemes.values():
            kind = scheme.subjects[0]
            if code.concerns(kind):
                assert scheme.rule_for(code.code, code.category, code.severity, code.polarity)


def mutate(path: list[Any], value: Any, name: str = "individual") -> dict[str, Any]:
    data = copy.deepcopy(shipped(name))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where", "why"),
    [
        (["colour"], "blue", "colour", "unknown field"),
        (["rules", 0, "pointz"], 5, "rules[0].pointz", "unknown field"),
        (["levels", 1, "max"], 1055, "levels[1]", "bands AA and AAA overlap"),
        (["levels", 2, "max"], 1020, "levels[2]", "gap between A (max 1020) and AA (min 1030)"),
        (["levels", 5, "min"], 0, "levels[5]", "the bottom band needs no min"),
        (
            ["propagation", "edges", 0, "weight"],
            1.5,
            "propagation.edges[0].weight",
            "must be in (0, 1], got 1.5",
        ),
        (["propagation", "decay"], 0, "propagation.decay", "must be in (0, 1], got 0.0"),
        (["propagation", "max_hops"], 4, "propagation.max_hops", "must be between 0 and 3, got 4"),
        (
            ["propagation", "edges", 0, "rel"],
            "FRIEND_OF",
            "propagation.edges[0].rel",
            "must be one of",
        ),
        (["rules", 0, "points"], 0, "rules[0].points", "must be between -1000 and 1000, and not 0"),
        (["rules", 1, "code"], "JUDGMENT_DEFAULT", "rules[1].code", "has a rule already"),
        (["rules", 1, "id"], "I-JUD-001", "rules[1].id", "is used twice"),
        (["consequences", 0, "kind"], "punishment", "consequences[0].kind", "must be one of"),
        (["consequences", 4, "levels"], ["Z"], "consequences[4].levels[0]", "no level named 'Z'"),
        (["blacklist", "levels"], ["E"], "blacklist.levels[0]", "no level named 'E'"),
        (["base"], KeyError, "base", "is required"),
        (["base"], "1000", "base", "must be int, got str"),
        (["validity", "minor"], 0, "validity.minor", "between 1 and 120"),
    ],
)
def test_scheme_validate_names_the_problem(
    path: list[Any], value: Any, where: str, why: str
) -> None:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(mutate(path, value), "bad.toml")
    assert caught.value.where == where
    assert why in caught.value.why
    assert str(caught.value).startswith("bad.toml: ")
