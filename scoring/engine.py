"""The scoring engine: a subject's records and those that reach it in, an explained score out.

``evaluate`` is pure and deterministic. Every point of the result is a ``Contribution``: one per
own record (with the rule and its scheme version, the decision and expiry dates and the status),
one per propagated record and path (with the path it came along), and one per cap applied.
Points are kept unrounded; the value is rounded to cents once. Always::

    score.value == round(scheme.base + sum(c.points for c in score.contributions), 2)

Records decided after ``as_of`` do not appear. Expired, disputed (when the scheme suspends them),
removed and restored records are listed with 0 points and their status.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from scoring import policy
from scoring.policy import COUNTING, add_months
from scoring.scheme import Rule, Scheme


class ContributionKind(StrEnum):
    """Where a contribution's points come from."""

    RECORD = "RECORD"
    PROPAGATED = "PROPAGATED"
    CAP = "CAP"


RECORD = ContributionKind.RECORD
PROPAGATED = ContributionKind.PROPAGATED
CAP = ContributionKind.CAP


@dataclass(frozen=True)
class RecordFact:
    """What the engine needs to know of a record."""

    record_id: str
    code: str
    category: str
    polarity: str
    severity: str
    decided_on: date
    status: str = "active"


@dataclass(frozen=True)
class Step:
    """One hop of a propagation path, walked from the source towards the subject."""

    rel: str
    direction: str  # "forward": along the relationship's arrow; "backward": against it
    entity: str  # the key of the entity this hop arrives at
    stake: float | None = None


@dataclass(frozen=True)
class Reach:
    """A record of another entity, and one confirmed path by which it reaches the subject."""

    source: str
    record: RecordFact
    path: tuple[Step, ...]


@dataclass(frozen=True)
class Contribution:
    kind: ContributionKind
    points: float
    record_id: str | None
    rule_id: str | None
    scheme_version: str
    decided_on: date | None
    expires_on: date | None
    status: str  # active, expired, disputed, removed, restored, unscored, capped
    source: str | None = None  # the entity whose record propagated
    path: tuple[Step, ...] = ()
    weight: float | None = None  # the product of edge weights and decay along ``path``


@dataclass(frozen=True)
class ConsequenceState:
    name: str
    kind: str
    in_force: bool
    reasons: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Score:
    subject: str
    scheme_id: str
    scheme_version: str
    as_of: date
    base: int
    value: float
    level: str
    blacklisted: bool
    blacklist_reasons: tuple[str, ...]
    contributions: tuple[Contribution, ...]
    consequences: tuple[ConsequenceState, ...]


def expires_on(record: RecordFact, rule: Rule | None, scheme: Scheme) -> date | None:
    """The day a record stops counting under ``scheme`` (None when no rule scores it)."""
    if rule is None:
        return None
    return add_months(record.decided_on, scheme.validity_months(rule, record.severity))


def standing(record: RecordFact, rule: Rule | None, scheme: Scheme, as_of: date) -> str:
    """The record's status on ``as_of`` for scoring purposes (``scoring.policy.standing``)."""
    expiry = expires_on(record, rule, scheme)
    expired = expiry is not None and as_of >= expiry
    return policy.standing(record.status, rule is not None, expired, scheme)


def path_weight(path: tuple[Step, ...], scheme: Scheme) -> float | None:
    """Edge weights (times stakes where configured) and decay per extra hop; None when a hop is
    not configured to carry risk or the path is longer than the scheme allows."""
    propagation = scheme.propagation
    if not path or len(path) > propagation.max_hops:
        return None
    weight = propagation.decay ** (len(path) - 1)
    for step in path:
        edge = propagation.weight(step.rel, step.direction)
        if edge is None:
            return None
        weight *= edge.weight
        if edge.by_stake:
            weight *= step.stake or 0.0
    return weight if weight > 0 else None


def _rule(scheme: Scheme, record: RecordFact) -> Rule | None:
    return scheme.rule_for(record.code, record.category, record.severity, record.polarity)


def evaluate(
    subject: str,
    records: list[RecordFact],
    reaches: list[Reach],
    scheme: Scheme,
    as_of: date,
) -> Score:
    """Score ``subject`` under ``scheme`` on ``as_of``, explaining every point."""
    contributions: list[Contribution] = []
    blacklist_reasons: list[str] = []
    for record in sorted(records, key=lambda r: (r.decided_on, r.record_id), reverse=True):
        if record.decided_on > as_of:
            continue
        rule = _rule(scheme, record)
        status = standing(record, rule, scheme, as_of)
        points = float(rule.points) if rule is not None and status == COUNTING else 0.0
        contributions.append(
            Contribution(
                kind=RECORD,
                points=points,
                record_id=record.record_id,
                rule_id=rule.id if rule else None,
                scheme_version=scheme.version,
                decided_on=record.decided_on,
                expires_on=expires_on(record, rule, scheme),
                status=status,
            )
        )
        if rule is not None and rule.blacklist and status == COUNTING:
            blacklist_reasons.append(policy.record_reason(record.record_id, rule.id))
    contributions += _propagated(subject, reaches, scheme, as_of)
    contributions += _caps(contributions, scheme)
    value = round(scheme.base + sum(c.points for c in contributions), 2)
    level = scheme.level_of(math.floor(value))
    if level.name in scheme.blacklist_levels:
        blacklist_reasons.insert(0, policy.level_reason(level.name))
    blacklisted = bool(blacklist_reasons)
    return Score(
        subject=subject,
        scheme_id=scheme.id,
        scheme_version=scheme.version,
        as_of=as_of,
        base=scheme.base,
        value=value,
        level=level.name,
        blacklisted=blacklisted,
        blacklist_reasons=tuple(blacklist_reasons),
        contributions=tuple(contributions),
        consequences=_consequences(scheme, level.name, blacklisted),
    )


def _propagated(
    subject: str, reaches: list[Reach], scheme: Scheme, as_of: date
) -> list[Contribution]:
    """Each warning record of another entity, along every confirmed path that reaches the subject.

    Linear on purpose: the same sum as the whole-graph pass computes with sparse matrices, so a
    stored score and a live one agree. Two paths from one record are two contributions.
    """
    found: dict[tuple[str, str, tuple[Step, ...]], Contribution] = {}
    for reach in reaches:
        record = reach.record
        if reach.source == subject or record.polarity != "warning" or record.decided_on > as_of:
            continue
        rule = _rule(scheme, record)
        if rule is None or rule.points >= 0 or standing(record, rule, scheme, as_of) != COUNTING:
            continue
        weight = path_weight(reach.path, scheme)
        if weight is None:
            continue
        found[reach.source, record.record_id, reach.path] = Contribution(
            kind=PROPAGATED,
            points=rule.points * weight,
            record_id=record.record_id,
            rule_id=rule.id,
            scheme_version=scheme.version,
            decided_on=record.decided_on,
            expires_on=expires_on(record, rule, scheme),
            status=COUNTING,
            source=reach.source,
            path=reach.path,
            weight=weight,
        )
    return sorted(found.values(), key=_order)


def _order(c: Contribution) -> tuple[object, ...]:
    steps = [(s.rel, s.direction, s.entity, s.stake or 0.0) for s in c.path]
    return (c.points, c.record_id or "", len(c.path), c.source or "", steps)


def _caps(contributions: list[Contribution], scheme: Scheme) -> list[Contribution]:
    caps = []
    given = sum(c.points for c in contributions if c.points > 0)
    if (cut := float(policy.positive_cut(given, scheme))) > 0:
        caps.append(_cap(policy.MAX_POSITIVE_RULE, -cut, scheme))
    taken = -sum(c.points for c in contributions if c.points < 0)
    if (cut := float(policy.negative_cut(taken, scheme))) > 0:
        caps.append(_cap(policy.MAX_NEGATIVE_RULE, cut, scheme))
    return caps


def _cap(rule_id: str, points: float, scheme: Scheme) -> Contribution:
    return Contribution(
        kind=CAP,
        points=points,
        record_id=None,
        rule_id=rule_id,
        scheme_version=scheme.version,
        decided_on=None,
        expires_on=None,
        status=policy.CAPPED,
    )


def _consequences(scheme: Scheme, level: str, blacklisted: bool) -> tuple[ConsequenceState, ...]:
    states = []
    for consequence in scheme.consequences:
        reasons = []
        if level in consequence.levels:
            reasons.append(policy.level_reason(level))
        if consequence.blacklisted and blacklisted:
            reasons.append(policy.BLACKLIST_REASON)
        states.append(
            ConsequenceState(
                name=consequence.name,
                kind=consequence.kind,
                in_force=bool(reasons),
                reasons=tuple(reasons),
                description=consequence.description,
            )
        )
    return tuple(states)
