"""The whole-graph scoring pass: every entity at once, with numpy arrays and sparse matrices.

It computes what ``scoring.engine.evaluate`` computes for one subject, for all subjects of a
scheme together (a test checks that the two agree on every entity):

- own points: each record's rule, counted while active (decided, not expired, not disputed when
  the scheme suspends disputes, not removed or restored);
- propagation: with ``W[u, v]`` the weight by which ``u``'s risk reaches ``v`` (edge weight, times
  the stake where configured) and ``r[u]`` the points of ``u``'s active warning records, the risk
  reaching ``v`` over one and two hops is ``(Wᵀr)[v] + decay·((WᵀWᵀr)[v] − diag(W²)[v]·r[v])``:
  every path, and the subject's own risk coming back to it taken out;
- caps, levels and the blacklist as the engine applies them (the rules of ``scoring.policy``).

The same matrix products run on Neo4j Graph Data Science or any sparse library; nothing here
does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from scoring import policy
from scoring.arrays import STATUS_NAMES, Bools, Floats, GraphData, Ints
from scoring.scheme import Scheme


@dataclass
class BatchResult:
    """One scheme's scores for the entities it scores (``scored``), as arrays.

    Levels are indexes into ``level_names``; the blacklist reasons are turned into text only
    for the entities someone asks about (``reasons_for``), as that is the slow part at scale.
    """

    scheme_id: str
    scheme_version: str
    scored: Bools
    values: Floats
    level_codes: Ints
    level_names: list[str]
    blacklisted: Bools
    by_level: Bools  # blacklisted because of the level
    # Records that put their subject on the blacklist, grouped by entity (ascending).
    hit_records: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hit_entities: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hit_kinds: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rule_ids: list[str] = field(default_factory=list)  # rule id by record kind
    data: GraphData | None = None

    def level(self, index: int) -> str:
        return self.level_names[int(self.level_codes[index])]

    @cached_property
    def levels(self) -> list[str]:
        names = np.asarray(self.level_names, dtype=object)
        return list(names[self.level_codes])

    def reasons_for(self, index: int) -> list[str]:
        """Why entity ``index`` is blacklisted: its level, then its records, newest first."""
        reasons = [policy.level_reason(self.level(index))] if self.by_level[index] else []
        start, stop = np.searchsorted(self.hit_entities, [index, index + 1])
        if start == stop or self.data is None:
            return reasons
        data = self.data
        hits = [
            (data.record_decided[r], data.record_ids[r], self.rule_ids[k])
            for r, k in zip(self.hit_records[start:stop], self.hit_kinds[start:stop], strict=True)
        ]
        hits.sort(key=lambda h: (h[0], h[1]), reverse=True)
        return reasons + [policy.record_reason(rid, rule) for _, rid, rule in hits]

    @cached_property
    def reasons(self) -> dict[int, list[str]]:
        """Every blacklisted entity's reasons (builds text for all of them)."""
        return {int(i): self.reasons_for(int(i)) for i in np.flatnonzero(self.blacklisted)}


def propagation_matrix(data: GraphData, scheme: Scheme) -> sp.csr_matrix:
    """``W[u, v]``: how much of ``u``'s risk reaches ``v`` over one link, under ``scheme``."""
    n = data.size
    if data.links == 0:
        return sp.csr_matrix((n, n))
    # Two links of one type between the same ends (two offices in one company) carry risk once,
    # as the engine counts one path for identical steps.
    kinds = max(len(data.rel_names), 1)
    if n * n * kinds < 2**62:
        combined = (data.link_from * n + data.link_to) * kinds + data.link_rel
        _, first = np.unique(combined, return_index=True)
    else:  # too many entities to pack a link into one integer
        stacked = np.stack([data.link_from, data.link_to, data.link_rel], axis=1)
        _, first = np.unique(stacked, axis=0, return_index=True)
    distinct = np.zeros(data.links, dtype=bool)
    distinct[first] = True
    rows: list[Ints] = []
    cols: list[Ints] = []
    weights: list[Floats] = []
    for edge in scheme.propagation.edges:
        if edge.rel not in data.rel_names:
            continue
        mask = (data.link_rel == data.rel_names.index(edge.rel)) & distinct
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


EXACT_HOPS = 2  # propagation the matrix pass computes exactly (see ``handles``)


def handles(scheme: Scheme) -> bool:
    """Whether the whole-graph pass computes this scheme exactly.

    Up to two hops, every walk that is not a confirmed path returns to its start, and
    ``diag(W²)`` takes those out. At three, walks that use one link twice (out and back, or the
    same link at the first and the last step) have to go as well, and whether a walk does
    depends on which of several parallel links it took, which ``W`` no longer knows; the
    per-subject engine handles such a scheme instead.
    """
    return scheme.propagation.max_hops <= EXACT_HOPS


def spread(wt: sp.csr_matrix, back: Floats, risk: Floats, hops: int, decay: float) -> Floats:
    """``propagate`` from a prepared ``Wᵀ`` and ``returning(W)``."""
    if hops <= 0:
        return np.zeros_like(risk)
    if hops > EXACT_HOPS:
        raise ValueError(f"the whole-graph pass handles at most {EXACT_HOPS} hops")
    one = wt @ risk
    if hops == 1:
        return np.asarray(one)
    return np.asarray(one + decay * (wt @ one - back * risk))


@dataclass
class Prepared:
    """What a scheme's pass needs that does not depend on the day.

    The propagation matrix, and the records that can count at all under the scheme (a rule
    matches, the status allows it) with their points, decision and expiry days as integers:
    on a given day ``compute`` only checks the dates and adds up.
    """

    data: GraphData
    scheme: Scheme
    wt: sp.csr_matrix  # Wᵀ
    back: Floats  # diag(W²): the risk that leaves an entity and comes straight back
    scored: Bools
    # The candidate records, in three runs: warnings that take points (their points also
    # propagate), then other records that take or give none, then records that give points.
    record: Ints  # index of each candidate record in data
    risky_end: int
    positive_start: int
    entity: Ints
    points: Floats
    decided: Ints  # days since 1970-01-01
    expires: Ints  # first day it no longer counts
    blacklisting: Bools  # its rule puts the subject on the blacklist
    rule_ids: list[str]  # rule id by kind index
    kind: Ints
    level_floor: Floats  # the lowest value of each level, best first
    level_names: list[str]
    blacklist_level: Bools  # by level index


def prepare(data: GraphData, scheme: Scheme) -> Prepared:
    """Build the scheme's propagation matrix and per-record tables (once per graph and scheme)."""
    size = len(data.kinds)
    rule_points, rule_months = np.zeros(size), np.zeros(size, dtype=np.int64)
    rule_blacklist, has_rule = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    warning = np.zeros(size, dtype=bool)
    rule_ids = [""] * size
    for i, (code, category, severity, polarity) in enumerate(data.kinds):
        warning[i] = polarity == "warning"
        rule = scheme.rule_for(code, category, severity, polarity)
        if rule is not None:
            has_rule[i] = True
            rule_ids[i] = rule.id
            rule_points[i] = rule.points
            rule_months[i] = scheme.validity_months(rule, severity)
            rule_blacklist[i] = rule.blacklist
    may_count = np.array([policy.may_count(name, scheme) for name in STATUS_NAMES], dtype=bool)
    allowed = may_count[data.record_status]
    candidates = has_rule[data.record_kind] & allowed
    points = rule_points[data.record_kind]
    risky = candidates & warning[data.record_kind] & (points < 0)
    positive = candidates & (points > 0)
    middle = candidates & ~risky & ~positive
    record = np.concatenate(
        [np.flatnonzero(risky), np.flatnonzero(middle), np.flatnonzero(positive)]
    )
    kind = data.record_kind[record]
    decided = data.record_decided[record]
    expires = policy.add_months_to_days(decided, rule_months[kind])
    w = propagation_matrix(data, scheme)
    if "company" in scheme.subjects and "person" in scheme.subjects:
        scored = np.ones(data.size, dtype=bool)
    else:
        scored = data.is_company.copy() if "company" in scheme.subjects else ~data.is_company
    floors = [-np.inf if level.min is None else float(level.min) for level in scheme.levels]
    return Prepared(
        data=data,
        scheme=scheme,
        wt=w.T.tocsr(),
        back=returning(w),
        scored=scored,
        record=record,
        risky_end=int(risky.sum()),
        positive_start=len(record) - int(positive.sum()),
        entity=data.record_entity[record],
        points=points[record],
        decided=decided.astype("datetime64[D]").astype(np.int64),
        expires=expires.astype("datetime64[D]").astype(np.int64),
        blacklisting=rule_blacklist[kind],
        rule_ids=rule_ids,
        kind=kind,
        level_floor=np.asarray(floors, dtype=np.float64),
        level_names=[level.name for level in scheme.levels],
        blacklist_level=np.array(
            [level.name in scheme.blacklist_levels for level in scheme.levels], dtype=bool
        ),
    )


def evaluate_all(data: GraphData, scheme: Scheme, as_of: date) -> BatchResult:
    """Score every entity ``scheme`` scores, as the engine would one by one."""
    return compute(prepare(data, scheme), as_of)


def compute(prep: Prepared, as_of: date) -> BatchResult:
    """The day's scores from prepared tables: array arithmetic and two sparse products."""
    scheme, n = prep.scheme, prep.data.size
    today = int(np.datetime64(as_of.isoformat(), "D").astype(np.int64))
    counting = (prep.decided <= today) & (today < prep.expires)
    own_points = prep.points * counting
    entity, risky, positive = prep.entity, prep.risky_end, prep.positive_start
    # One pass over the records, in its three runs: the propagating risk, the rest of the
    # points taken, the points given.
    risk: Floats = np.bincount(entity[:risky], weights=own_points[:risky], minlength=n)  # type: ignore[assignment]
    taken = risk + np.bincount(
        entity[risky:positive], weights=own_points[risky:positive], minlength=n
    )
    given = np.bincount(entity[positive:], weights=own_points[positive:], minlength=n)
    propagation = scheme.propagation
    reached = spread(prep.wt, prep.back, risk, propagation.max_hops, propagation.decay)
    total = taken + given + reached
    total -= policy.positive_cut(given, scheme)
    total += policy.negative_cut(-(taken + np.minimum(reached, 0.0)), scheme)
    values = np.round(scheme.base + total, 2)
    scored = prep.scored
    levels = level_codes(values, prep.level_floor)
    by_level = prep.blacklist_level[levels] & scored
    hits = np.flatnonzero(counting & prep.blacklisting)
    hits = hits[scored[entity[hits]]]
    hits = hits[np.argsort(entity[hits], kind="stable")]
    by_rule = np.zeros(n, dtype=bool)
    by_rule[entity[hits]] = True
    return BatchResult(
        scheme_id=scheme.id,
        scheme_version=scheme.version,
        scored=scored,
        values=values,
        level_codes=levels,
        level_names=prep.level_names,
        blacklisted=by_rule | by_level,
        by_level=by_level,
        hit_records=prep.record[hits],
        hit_entities=entity[hits],
        hit_kinds=prep.kind[hits],
        rule_ids=prep.rule_ids,
        data=prep.data,
    )


def level_codes(values: Floats, floors: Floats) -> Ints:
    """Each value's level (index into the scheme's levels, best first) by its whole points.

    The bands are contiguous whole numbers (the scheme validator sees to it), so the level's
    index is the number of floors above the value (``floor(v) < f`` when ``v < f`` for a whole
    ``f``); with a handful of levels, a comparison per level beats a search.
    """
    codes = np.zeros(len(values), dtype=np.int64)
    for floor in floors[:-1]:
        codes += values < floor
    return codes
