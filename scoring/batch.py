"""The whole-graph scoring pass: every entity at once, with numpy arrays and sparse matrices.

It computes what ``scoring.engine.evaluate`` computes for one subject, for all subjects of a
scheme together (a test checks that the two agree on every entity):

- own points: each record's rule, counted while active (decided, not expired, not disputed when
  the scheme suspends disputes, not removed or restored);
- propagation: with ``W[u, v]`` the weight by which ``u``'s risk reaches ``v`` (edge weight, times
  the stake where configured) and ``r[u]`` the points of ``u``'s active warning records, the risk
  reaching ``v`` over one and two hops is ``(Wᵀr)[v] + decay·((WᵀWᵀr)[v] − diag(W²)[v]·r[v])``:
  every path, and the subject's own risk coming back to it taken out;
- caps, levels and the blacklist as the engine applies them.

The same matrix products run on Neo4j Graph Data Science or any sparse library; nothing here
does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from scoring.scheme import Scheme

STATUS_ACTIVE, STATUS_DISPUTED, STATUS_OFF = 0, 1, 2
STATUS_CODES = {"active": 0, "disputed": 1, "removed": 2, "restored": 2, "expired": 0}

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass
class GraphData:
    """The graph as arrays: entities by index, links and records pointing at those indexes."""

    keys: list[str]
    is_company: Bools
    link_from: Ints
    link_to: Ints
    link_rel: list[str]
    link_stake: Floats  # NaN where a link has none
    record_ids: list[str]
    record_entity: Ints
    record_code: list[str]
    record_category: list[str]
    record_severity: list[str]
    record_polarity: list[str]
    record_decided: npt.NDArray[np.datetime64]  # datetime64[D]
    record_status: Ints

    @property
    def size(self) -> int:
        return len(self.keys)


@dataclass
class BatchResult:
    """One scheme's scores for the entities it scores (``scored``)."""

    scheme_id: str
    scheme_version: str
    scored: Bools
    values: Floats
    levels: list[str]
    blacklisted: Bools
    reasons: dict[int, list[str]] = field(default_factory=dict)


def propagation_matrix(data: GraphData, scheme: Scheme) -> sp.csr_matrix:
    """``W[u, v]``: how much of ``u``'s risk reaches ``v`` over one link, under ``scheme``."""
    rows: list[Ints] = []
    cols: list[Ints] = []
    weights: list[Floats] = []
    rel = np.asarray(data.link_rel, dtype=object)
    # Two links of one type between the same ends (two offices in one company) carry risk once,
    # as the engine counts one path for identical steps.
    codes = {name: n for n, name in enumerate(sorted(set(data.link_rel)))}
    rel_code = np.fromiter((codes[r] for r in data.link_rel), dtype=np.int64, count=len(rel))
    _, first = np.unique(
        np.stack([data.link_from, data.link_to, rel_code], axis=1), axis=0, return_index=True
    )
    distinct = np.zeros(len(rel), dtype=bool)
    distinct[first] = True
    for edge in scheme.propagation.edges:
        mask = (rel == edge.rel) & distinct
        if not mask.any():
            continue
        w = np.full(int(mask.sum()), edge.weight)
        if edge.by_stake:
            w = w * np.nan_to_num(data.link_stake[mask], nan=0.0)
        start, end = data.link_from[mask], data.link_to[mask]
        if edge.direction == "forward":
            rows.append(start)
            cols.append(end)
        else:
            rows.append(end)
            cols.append(start)
        weights.append(w)
    n = data.size
    if not rows:
        return sp.csr_matrix((n, n))
    matrix = sp.coo_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return matrix.tocsr()  # links of different types between two entities add up


def returning(w: sp.csr_matrix) -> Floats:
    """diag(W²): the weight of paths v -> u -> v, by which an entity's risk would come back."""
    return np.asarray(w.multiply(w.T).sum(axis=1)).ravel()


def propagate(w: sp.csr_matrix, risk: Floats, hops: int, decay: float) -> Floats:
    """Risk reaching each entity over ``hops`` (at most 2) links, its own returning risk removed."""
    return spread(w.T.tocsr(), returning(w), risk, hops, decay)


def spread(wt: sp.csr_matrix, back: Floats, risk: Floats, hops: int, decay: float) -> Floats:
    """``propagate`` from a prepared ``Wᵀ`` and ``returning(W)``."""
    if hops <= 0:
        return np.zeros_like(risk)
    if hops > 2:
        raise ValueError("the whole-graph pass handles at most 2 hops")
    one = wt @ risk
    if hops == 1:
        return np.asarray(one)
    return np.asarray(one + decay * (wt @ one - back * risk))


def _months_later(days: npt.NDArray[np.datetime64], months: Ints) -> npt.NDArray[np.datetime64]:
    """Calendar months added to each day; the 31st becomes the month's last day."""
    month_start = days.astype("datetime64[M]")
    target = month_start + months.astype("timedelta64[M]")
    day_index = (days - month_start.astype("datetime64[D]")).astype(np.int64)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    offset = np.minimum(day_index, length - 1)
    result: npt.NDArray[np.datetime64] = target.astype("datetime64[D]") + offset.astype(
        "timedelta64[D]"
    )
    return result


@dataclass
class Prepared:
    """What a scheme's pass needs that does not depend on the day: matrices and rule tables."""

    data: GraphData
    scheme: Scheme
    wt: sp.csr_matrix  # Wᵀ
    back: Floats  # diag(W²): the risk that leaves an entity and comes straight back
    kind_index: Ints  # each record's kind (code, category, severity, polarity)
    rule_points: Floats
    rule_months: Ints
    rule_blacklist: Bools
    has_rule: Bools
    rule_ids: list[str]
    warning: Bools
    scored: Bools


def prepare(data: GraphData, scheme: Scheme) -> Prepared:
    """Build the scheme's propagation matrix and rule tables (once per graph and scheme)."""
    kinds = list(
        zip(
            data.record_code,
            data.record_category,
            data.record_severity,
            data.record_polarity,
            strict=True,
        )
    )
    distinct = {kind: i for i, kind in enumerate(dict.fromkeys(kinds))}
    kind_index = np.fromiter((distinct[k] for k in kinds), dtype=np.int64, count=len(kinds))
    size = len(distinct)
    rule_points, rule_months = np.zeros(size), np.zeros(size, dtype=np.int64)
    rule_blacklist, has_rule = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    rule_ids = [""] * size
    for (code, category, severity, polarity), i in distinct.items():
        rule = scheme.rule_for(code, category, severity, polarity)
        if rule is not None:
            has_rule[i] = True
            rule_ids[i] = rule.id
            rule_points[i] = rule.points
            rule_months[i] = scheme.validity_months(rule, severity)
            rule_blacklist[i] = rule.blacklist
    w = propagation_matrix(data, scheme)
    if "company" in scheme.subjects and "person" in scheme.subjects:
        scored = np.ones(data.size, dtype=bool)
    else:
        scored = data.is_company.copy() if "company" in scheme.subjects else ~data.is_company
    return Prepared(
        data=data,
        scheme=scheme,
        wt=w.T.tocsr(),
        back=returning(w),
        kind_index=kind_index,
        rule_points=rule_points,
        rule_months=rule_months,
        rule_blacklist=rule_blacklist,
        has_rule=has_rule,
        rule_ids=rule_ids,
        warning=np.asarray(data.record_polarity, dtype=object) == "warning",
        scored=scored,
    )


def evaluate_all(data: GraphData, scheme: Scheme, as_of: date) -> BatchResult:
    """Score every entity ``scheme`` scores, as the engine would one by one."""
    return compute(prepare(data, scheme), as_of)


def compute(prep: Prepared, as_of: date) -> BatchResult:
    """The day's scores from prepared tables: array arithmetic and two sparse products."""
    data, scheme, kind_index = prep.data, prep.scheme, prep.kind_index
    n = data.size
    points = prep.rule_points[kind_index]
    today = np.datetime64(as_of.isoformat(), "D")
    expiry = _months_later(data.record_decided, prep.rule_months[kind_index])
    status = data.record_status
    allowed = (status == STATUS_ACTIVE) | (
        (status == STATUS_DISPUTED) & (not scheme.suspend_disputed)
    )
    counting = (
        prep.has_rule[kind_index] & (data.record_decided <= today) & (today < expiry) & allowed
    )
    own_points = np.where(counting, points, 0.0)
    entity = data.record_entity
    own = np.bincount(entity, weights=own_points, minlength=n)
    positive = np.bincount(entity, weights=np.maximum(own_points, 0.0), minlength=n)
    risk: Floats = np.bincount(
        entity, weights=np.where(prep.warning & (points < 0), own_points, 0.0), minlength=n
    ).astype(np.float64)
    propagation = scheme.propagation
    reached = spread(prep.wt, prep.back, risk, propagation.max_hops, propagation.decay)
    total = own + reached
    if scheme.max_positive is not None:
        total = total - np.maximum(positive - scheme.max_positive, 0.0)
    if scheme.max_negative is not None:
        negative = -(
            np.bincount(entity, weights=np.minimum(own_points, 0.0), minlength=n)
            + np.minimum(reached, 0.0)
        )
        total = total + np.maximum(negative - scheme.max_negative, 0.0)
    values = np.round(scheme.base + total, 2)
    scored = prep.scored
    levels = _levels(values, scheme)
    blacklisting = counting & prep.rule_blacklist[kind_index]
    by_rule = np.bincount(entity, weights=blacklisting, minlength=n) > 0
    by_level = np.isin(np.asarray(levels, dtype=object), list(scheme.blacklist_levels))
    blacklisted = (by_rule | by_level) & scored
    reasons: dict[int, list[str]] = {}
    for index in np.flatnonzero(by_level & scored):
        reasons[int(index)] = [f"level {levels[int(index)]}"]
    # Newest record first, as the engine lists them.
    hits = [int(r) for r in np.flatnonzero(blacklisting) if scored[entity[r]]]
    hits.sort(key=lambda r: (data.record_decided[r], data.record_ids[r]), reverse=True)
    for r in hits:
        reasons.setdefault(int(entity[r]), []).append(
            f"record {data.record_ids[r]} under rule {prep.rule_ids[kind_index[r]]}"
        )
    return BatchResult(
        scheme_id=scheme.id,
        scheme_version=scheme.version,
        scored=scored,
        values=values,
        levels=levels,
        blacklisted=blacklisted,
        reasons=reasons,
    )


def _levels(values: Floats, scheme: Scheme) -> list[str]:
    floors = np.floor(values)
    names = np.empty(len(values), dtype=object)
    for level in scheme.levels:  # best first; a value falls in exactly one band
        low = -np.inf if level.min is None else level.min
        high = np.inf if level.max is None else level.max
        names[(floors >= low) & (floors <= high)] = level.name
    return list(names)
