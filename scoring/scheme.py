"""Scoring schemes as data: a TOML file read into frozen dataclasses, checked field by field.

A scheme says whom it scores, from what base, how points map to levels, which rule gives how many
points to which record, how long each record counts, what puts a subject on the blacklist, which
consequences (restrictions and privileges) follow from a level or the blacklist, and how risk
propagates across relationships. ``load_scheme`` refuses a file with the exact place and reason:
an unknown field, a band that overlaps or leaves a gap, a weight out of range.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scoring import vocabulary as words
from scoring.catalogue import load_catalogue

SCHEMES_DIR = Path(__file__).with_name("schemes")
DEFAULT_VALIDITY = {"minor": 3, "general": 12, "serious": 36}  # months
# How long a record must have been published before its subject may ask to end it early, once
# the conduct is corrected (the low end of each severity's window in the municipal schemes).
DEFAULT_RESTORATION = {"minor": 0, "general": 3, "serious": 12}  # months
MAX_PROPAGATION_HOPS = 3


class SchemeError(ValueError):
    """A scheme file that cannot be used: ``where`` is the field's path, ``why`` the reason."""

    def __init__(self, source: str, where: str, why: str) -> None:
        super().__init__(f"{source}: {where}: {why}")
        self.source = source
        self.where = where
        self.why = why


@dataclass(frozen=True)
class Level:
    name: str
    min: int | None  # None: no lower bound
    max: int | None  # None: no upper bound
    meaning: str = ""  # what the level says about the subject, in English
    meaning_zh: str = ""  # and in Chinese

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class Rule:
    """Points for records of one code, or (as a fallback) of one category and severity."""

    id: str
    points: int
    code: str | None = None
    category: str | None = None
    severity: str | None = None
    polarity: str | None = None
    validity_months: int | None = None
    blacklist: bool = False
    title: str | None = None  # in English; by default the catalogue's title of its code
    title_zh: str | None = None  # in Chinese, likewise


@dataclass(frozen=True)
class Consequence:
    name: str
    kind: str
    levels: tuple[str, ...] = ()
    blacklisted: bool = False
    description: str = ""
    title: str = ""  # a short name, in English (by default the name, in words)
    title_zh: str = ""  # and in Chinese
    description_zh: str = ""


@dataclass(frozen=True)
class EdgeWeight:
    rel: str
    direction: str
    weight: float
    by_stake: bool = False  # multiply by the shareholding's stake


@dataclass(frozen=True)
class Propagation:
    decay: float = 0.5
    max_hops: int = 2
    edges: tuple[EdgeWeight, ...] = ()

    def weight(self, rel: str, direction: str) -> EdgeWeight | None:
        for edge in self.edges:
            if edge.rel == rel and edge.direction == direction:
                return edge
        return None


@dataclass(frozen=True)
class Scheme:
    id: str
    version: str
    title: str
    subjects: tuple[str, ...]
    base: int
    levels: tuple[Level, ...]
    rules: tuple[Rule, ...]
    validity: dict[str, int]
    consequences: tuple[Consequence, ...]
    blacklist_levels: tuple[str, ...]
    propagation: Propagation
    max_positive: int | None = None  # cap on the sum of good points
    max_negative: int | None = None  # cap on the sum of warning points (a positive number)
    suspend_disputed: bool = True
    restoration: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RESTORATION))

    def level_of(self, value: float) -> Level:
        for level in self.levels:
            if level.holds(value):
                return level
        raise AssertionError("bands cover every value (checked at load)")

    def rule_for(self, code: str, category: str, severity: str, polarity: str) -> Rule | None:
        """The rule for a record: one for its code, else a fallback for its kind."""
        fallback = None
        for rule in self.rules:
            if rule.code is not None:
                if rule.code == code:
                    return rule
            elif (
                rule.category in (None, category)
                and rule.severity in (None, severity)
                and rule.polarity in (None, polarity)
                and fallback is None
            ):
                fallback = rule
        return fallback

    def validity_months(self, rule: Rule, severity: str) -> int:
        return rule.validity_months or self.validity.get(severity, DEFAULT_VALIDITY[severity])


_TOP = {
    "id", "version", "title", "subjects", "base", "levels", "rules", "validity", "caps",
    "blacklist", "consequences", "propagation", "disputes", "restoration",
}  # fmt: skip
_LEVEL = {"name", "min", "max", "meaning", "meaning_zh"}
_RULE = {
    "id", "code", "category", "severity", "polarity", "points", "validity_months", "blacklist",
    "title", "title_zh",
}  # fmt: skip
_CONSEQUENCE = {
    "name", "kind", "levels", "blacklisted", "description", "title", "title_zh", "description_zh",
}  # fmt: skip
_PROPAGATION = {"decay", "max_hops", "edges"}
_EDGE = {"rel", "direction", "weight", "by_stake"}


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, why: str) -> SchemeError:
        return SchemeError(self.source, where, why)

    def fields(self, where: str, table: Any, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}" if where else unknown[0], "unknown field")
        return table

    def get(
        self, table: dict[str, Any], where: str, key: str, kind: type, default: Any = ...
    ) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in table:
            if default is ...:
                raise self.fail(path, "is required")
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(path, f"must be {kind.__name__}, got {type(value).__name__}")
        return value

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(path, f"must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)


def parse_scheme(data: dict[str, Any], source: str = "<scheme>") -> Scheme:
    """Check ``data`` (a parsed TOML document) and build the scheme, or raise ``SchemeError``."""
    r = _Reader(source)
    top = r.fields("", data, _TOP)
    subjects = tuple(
        r.choice(s, f"subjects[{i}]", words.SUBJECTS)
        for i, s in enumerate(r.get(top, "", "subjects", list))
    )
    if not subjects:
        raise r.fail("subjects", "must name at least one of person, company")
    levels = _levels(r, r.get(top, "", "levels", list))
    rules = _rules(r, r.get(top, "", "rules", list))
    validity = dict(DEFAULT_VALIDITY)
    for key, months in r.fields("validity", top.get("validity", {}), set(words.SEVERITIES)).items():
        if not isinstance(months, int) or not 1 <= months <= 120:
            raise r.fail(f"validity.{key}", "must be a number of months between 1 and 120")
        validity[key] = months
    restoration = dict(DEFAULT_RESTORATION)
    raw_restoration = r.fields("restoration", top.get("restoration", {}), set(words.SEVERITIES))
    for key, months in raw_restoration.items():
        if not isinstance(months, int) or not 0 <= months <= validity[key]:
            raise r.fail(
                f"restoration.{key}",
                f"must be a number of months between 0 and the validity ({validity[key]})",
            )
        restoration[key] = months
    caps = r.fields("caps", top.get("caps", {}), {"max_positive", "max_negative"})
    for key, value in caps.items():
        if not isinstance(value, int) or value <= 0:
            raise r.fail(f"caps.{key}", "must be a positive whole number of points")
    names = {level.name for level in levels}
    blacklist = r.fields("blacklist", top.get("blacklist", {}), {"levels"})
    blacklist_levels = tuple(blacklist.get("levels", ()))
    for i, name in enumerate(blacklist_levels):
        if name not in names:
            raise r.fail(f"blacklist.levels[{i}]", f"no level named {name!r}")
    consequences = _consequences(r, top.get("consequences", []), names)
    disputes = r.fields("disputes", top.get("disputes", {}), {"suspend_points"})
    return Scheme(
        id=r.get(top, "", "id", str),
        version=r.get(top, "", "version", str),
        title=r.get(top, "", "title", str, ""),
        subjects=subjects,
        base=r.get(top, "", "base", int),
        levels=levels,
        rules=rules,
        validity=validity,
        consequences=consequences,
        blacklist_levels=blacklist_levels,
        propagation=_propagation(r, top.get("propagation", {})),
        max_positive=caps.get("max_positive"),
        max_negative=caps.get("max_negative"),
        suspend_disputed=bool(disputes.get("suspend_points", True)),
        restoration=restoration,
    )


def _levels(r: _Reader, raw: list[Any]) -> tuple[Level, ...]:
    levels = []
    for i, item in enumerate(raw):
        where = f"levels[{i}]"
        table = r.fields(where, item, _LEVEL)
        level = Level(
            name=r.choice(table.get("name"), f"{where}.name", words.LEVELS),
            min=r.get(table, where, "min", int, None),
            max=r.get(table, where, "max", int, None),
            meaning=r.get(table, where, "meaning", str, ""),
            meaning_zh=r.get(table, where, "meaning_zh", str, ""),
        )
        if level.min is not None and level.max is not None and level.min > level.max:
            raise r.fail(where, f"min {level.min} is above max {level.max}")
        levels.append(level)
    if not levels:
        raise r.fail("levels", "must hold at least one level")
    # Best level first; each band must start right above the next one's top.
    ordered = sorted(levels, key=lambda lv: -(lv.min if lv.min is not None else -(10**9)))
    if ordered[0].max is not None:
        raise r.fail(f"levels[{levels.index(ordered[0])}]", "the top band needs no max")
    if ordered[-1].min is not None:
        raise r.fail(f"levels[{levels.index(ordered[-1])}]", "the bottom band needs no min")
    for upper, lower in itertools.pairwise(ordered):
        where = f"levels[{levels.index(lower)}]"
        if lower.max is None or upper.min is None:
            raise r.fail(where, f"bands {lower.name} and {upper.name} overlap")
        if lower.max >= upper.min:
            raise r.fail(where, f"bands {lower.name} and {upper.name} overlap")
        if lower.max + 1 < upper.min:
            raise r.fail(
                where,
                f"gap between {lower.name} (max {lower.max}) and {upper.name} (min {upper.min})",
            )
    if len({lv.name for lv in levels}) != len(levels):
        raise r.fail("levels", "level names must be unique")
    return tuple(ordered)


def _rules(r: _Reader, raw: list[Any]) -> tuple[Rule, ...]:
    catalogue = load_catalogue()
    rules = []
    seen: set[str] = set()
    codes: set[str] = set()
    for i, item in enumerate(raw):
        where = f"rules[{i}]"
        table = r.fields(where, item, _RULE)
        rule = Rule(
            id=r.get(table, where, "id", str),
            points=r.get(table, where, "points", int),
            code=r.get(table, where, "code", str, None),
            category=table.get("category"),
            severity=table.get("severity"),
            polarity=table.get("polarity"),
            validity_months=r.get(table, where, "validity_months", int, None),
            blacklist=r.get(table, where, "blacklist", bool, False),
            title=r.get(table, where, "title", str, None),
            title_zh=r.get(table, where, "title_zh", str, None),
        )
        if rule.code is not None and (known := catalogue.get(rule.code)) is not None:
            # A rule for a code is titled as the code, unless it says otherwise.
            rule = replace(
                rule, title=rule.title or known.title, title_zh=rule.title_zh or known.title_zh
            )
        if rule.category is not None:
            r.choice(rule.category, f"{where}.category", words.CATEGORIES)
        if rule.severity is not None:
            r.choice(rule.severity, f"{where}.severity", words.SEVERITIES)
        if rule.polarity is not None:
            r.choice(rule.polarity, f"{where}.polarity", words.POLARITIES)
        if (
            rule.code is None
            and rule.category is None
            and rule.severity is None
            and (rule.polarity is None)
        ):
            raise r.fail(where, "a rule needs a code, or a category, severity or polarity")
        if not -1000 <= rule.points <= 1000 or rule.points == 0:
            raise r.fail(f"{where}.points", "must be between -1000 and 1000, and not 0")
        if rule.validity_months is not None and not 1 <= rule.validity_months <= 120:
            raise r.fail(f"{where}.validity_months", "must be between 1 and 120")
        if rule.id in seen:
            raise r.fail(f"{where}.id", f"rule id {rule.id!r} is used twice")
        if rule.code is not None and rule.code in codes:
            raise r.fail(f"{where}.code", f"code {rule.code!r} has a rule already")
        seen.add(rule.id)
        if rule.code:
            codes.add(rule.code)
        rules.append(rule)
    if not rules:
        raise r.fail("rules", "must hold at least one rule")
    return tuple(rules)


def _consequences(r: _Reader, raw: Any, levels: set[str]) -> tuple[Consequence, ...]:
    if not isinstance(raw, list):
        raise r.fail("consequences", "must be a list of tables")
    out = []
    for i, item in enumerate(raw):
        where = f"consequences[{i}]"
        table = r.fields(where, item, _CONSEQUENCE)
        consequence = Consequence(
            name=r.choice(table.get("name"), f"{where}.name", words.CONSEQUENCES),
            kind=r.choice(table.get("kind"), f"{where}.kind", words.CONSEQUENCE_KINDS),
            levels=tuple(r.get(table, where, "levels", list, [])),
            blacklisted=r.get(table, where, "blacklisted", bool, False),
            description=r.get(table, where, "description", str, ""),
            title=r.get(table, where, "title", str, ""),
            title_zh=r.get(table, where, "title_zh", str, ""),
            description_zh=r.get(table, where, "description_zh", str, ""),
        )
        for j, name in enumerate(consequence.levels):
            if name not in levels:
                raise r.fail(f"{where}.levels[{j}]", f"no level named {name!r}")
        if not consequence.levels and not consequence.blacklisted:
            raise r.fail(where, "a consequence needs levels or blacklisted = true")
        out.append(consequence)
    return tuple(out)


def _propagation(r: _Reader, raw: Any) -> Propagation:
    table = r.fields("propagation", raw, _PROPAGATION)
    decay = r.get(table, "propagation", "decay", float, 0.5)
    if not 0 < decay <= 1:
        raise r.fail("propagation.decay", f"must be in (0, 1], got {decay}")
    hops = r.get(table, "propagation", "max_hops", int, 2)
    if not 0 <= hops <= MAX_PROPAGATION_HOPS:
        raise r.fail(
            "propagation.max_hops", f"must be between 0 and {MAX_PROPAGATION_HOPS}, got {hops}"
        )
    edges = []
    for i, item in enumerate(table.get("edges", [])):
        where = f"propagation.edges[{i}]"
        edge_table = r.fields(where, item, _EDGE)
        edge = EdgeWeight(
            rel=r.choice(edge_table.get("rel"), f"{where}.rel", words.RELS),
            direction=r.choice(edge_table.get("direction"), f"{where}.direction", words.DIRECTIONS),
            weight=r.get(edge_table, where, "weight", float),
            by_stake=r.get(edge_table, where, "by_stake", bool, False),
        )
        if not 0 < edge.weight <= 1:
            raise r.fail(f"{where}.weight", f"must be in (0, 1], got {edge.weight}")
        if edge.by_stake and edge.rel != "SHAREHOLDER_OF":
            raise r.fail(f"{where}.by_stake", "only SHAREHOLDER_OF links carry a stake")
        edges.append(edge)
    return Propagation(decay=decay, max_hops=hops, edges=tuple(edges))


def load_scheme(path: Path) -> Scheme:
    """Read and check one scheme file."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(path.name, "(file)", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise SchemeError(path.name, "(file)", f"cannot be read: {exc.strerror}") from None
    return parse_scheme(data, path.name)


def load_schemes(directory: Path = SCHEMES_DIR) -> dict[str, Scheme]:
    """Every scheme in ``directory`` by id; ids must be unique."""
    schemes: dict[str, Scheme] = {}
    for path in sorted(directory.glob("*.toml")):
        scheme = load_scheme(path)
        if scheme.id in schemes:
            raise SchemeError(path.name, "id", f"scheme id {scheme.id!r} is used twice")
        schemes[scheme.id] = scheme
    return schemes
