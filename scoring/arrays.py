"""The graph as arrays for the whole-graph scoring pass: what ``graph.repositories.bulk`` reads
and ``scoring.batch`` computes on. Pure data, no I/O."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from scoring.vocabulary import RecordStatus

# A record's stored status as a small code: what ``scoring.policy.may_count`` needs to tell
# apart (an expired record is told by its dates; removed and restored never count).
STATUS_ACTIVE, STATUS_DISPUTED, STATUS_OFF = 0, 1, 2
STATUS_CODES = {
    RecordStatus.ACTIVE.value: STATUS_ACTIVE,
    RecordStatus.EXPIRED.value: STATUS_ACTIVE,
    RecordStatus.DISPUTED.value: STATUS_DISPUTED,
    RecordStatus.REMOVED.value: STATUS_OFF,
    RecordStatus.RESTORED.value: STATUS_OFF,
}
STATUS_NAMES = (RecordStatus.ACTIVE.value, RecordStatus.DISPUTED.value, RecordStatus.REMOVED.value)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Days = npt.NDArray[np.datetime64]
RecordKind = tuple[str, str, str, str]  # code, category, severity, polarity
T = TypeVar("T", bound=Hashable)


def factorize(values: Iterable[T]) -> tuple[Ints, list[T]]:
    """Each value's index in the list of distinct values (in order of first appearance)."""
    seen: dict[T, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64)
    return codes, list(seen)


@dataclass
class GraphData:
    """The graph as arrays: entities by index, links and records pointing at those indexes.

    Strings that repeat (relationship types, record kinds) are stored once and referred to by
    their index, so a pass over millions of rows is integer arithmetic.
    """

    keys: list[str]
    is_company: Bools
    link_from: Ints
    link_to: Ints
    link_rel: Ints  # index into rel_names
    rel_names: list[str]
    link_stake: Floats  # NaN where a link has none
    record_ids: list[str]
    record_entity: Ints
    record_kind: Ints  # index into kinds
    kinds: list[RecordKind]
    record_decided: Days  # datetime64[D]
    record_status: Ints

    @classmethod
    def of(
        cls,
        *,
        keys: list[str],
        is_company: Bools,
        link_from: Ints,
        link_to: Ints,
        link_rel: Sequence[str],
        link_stake: Floats,
        record_ids: list[str],
        record_entity: Ints,
        record_kinds: Iterable[RecordKind],
        record_decided: Days,
        record_status: Ints,
    ) -> GraphData:
        """Build from plain columns, turning the repeated strings into indexes."""
        rel, rel_names = factorize(link_rel)
        kind, kinds = factorize(record_kinds)
        return cls(
            keys=keys,
            is_company=is_company,
            link_from=link_from,
            link_to=link_to,
            link_rel=rel,
            rel_names=rel_names,
            link_stake=link_stake,
            record_ids=record_ids,
            record_entity=record_entity,
            record_kind=kind,
            kinds=kinds,
            record_decided=record_decided,
            record_status=record_status,
        )

    @property
    def size(self) -> int:
        return len(self.keys)

    @cached_property
    def index(self) -> dict[str, int]:
        """Each key's entity index."""
        return {key: n for n, key in enumerate(self.keys)}

    @property
    def links(self) -> int:
        return len(self.link_from)

    @property
    def records(self) -> int:
        return len(self.record_ids)
