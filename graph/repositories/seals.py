"""Seals: what an audit entry keeps of each object a write stored, computed without I/O.

A seal is a digest (128 bits) of each field of the object as stored, as canonical JSON, and the
SHA-256 of that JSON: it names the fields that changed later without holding a copy of the data
(``graph.repositories.state`` stores and checks them). ``seal_of`` seals one object from its row;
``seal_columns`` seals many objects of one write that share some fields, and makes exactly the
seals ``seal_of`` makes of them (a property test holds the two together).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

import neo4j.time
import orjson


class Tracked(StrEnum):
    """The kinds of object whose every write is sealed by an audit entry."""

    COMPANY = "company"
    PERSON = "person"
    LINK = "link"
    RECORD = "record"
    SNAPSHOT = "snapshot"
    DISPUTE = "dispute"
    API_KEY = "apiKey"


_PLAIN = frozenset({str, int, float, bool, type(None)})


def canonical(value: Any) -> Any:
    """A stored value as plain JSON, the same whenever it is read (driver dates as ISO text)."""
    kind = type(value)
    if kind in _PLAIN:
        # One zero: -0.0 equals 0.0, so the digest caches (keyed by value) would give either
        # zero the digest of whichever they met first.
        return 0.0 if kind is float and value == 0 else value
    if kind in _TIMES:
        return _canonical_time(value)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    return _canonical_other(value)


# Times repeat (each object a batch creates has its time): their text is remembered.
_TIMES = frozenset({neo4j.time.DateTime, neo4j.time.Date, datetime, date})


@lru_cache(maxsize=4096, typed=True)
def _canonical_time(value: Any) -> Any:
    return _canonical_other(value)


def _canonical_other(value: Any) -> Any:
    kind = type(value)
    if kind is neo4j.time.DateTime:
        # Stored in UTC; the embedded backend hands it back without its zone once committed.
        zone = value.tzinfo
        if zone is not None and zone is not UTC and value.utcoffset():
            value = value.astimezone(UTC)
        return (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.nanosecond:09d}Z"
        )
    if kind is neo4j.time.Date:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return f"{value.isoformat(timespec='microseconds')}000Z"
    if hasattr(value, "iso_format"):
        return str(value.iso_format())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def content(row: Mapping[str, Any]) -> dict[str, Any]:
    """An object's content from its row: its properties, and what its edges say
    (``@concerns``, ``@issuers``, ``@disputes``; sorted, as their order means nothing)."""
    found = {str(k): canonical(v) for k, v in row["props"].items()}
    for edge in ("concerns", "issuers", "disputes"):
        if edge in row:
            found[f"@{edge}"] = sorted(str(v) for v in row[edge] if v is not None)
    return found


def field_digests(found: Mapping[str, Any]) -> dict[str, str]:
    """Each field's digest (128 bits): what a seal keeps, so it can name the fields that
    changed without holding a copy of the data."""
    digests = {}
    for name, value in found.items():
        kind = type(value)
        # Most fields repeat from object to object (a status, a category, an issuer, the time
        # a batch was written): a plain value's digest is remembered, by its type and value.
        if kind in _PLAIN:
            digests[name] = _plain_digest(kind.__name__, value)
        else:
            digests[name] = _digest(value)
    return digests


def _digest(value: Any) -> str:
    return hashlib.blake2b(
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


@lru_cache(maxsize=65536, typed=True)
def _plain_digest(kind: str, value: Any) -> str:
    # ``kind`` is part of the key: 1, 1.0 and True are equal as keys, not as JSON.
    return _digest(value)


def object_digest(fields_json: bytes) -> str:
    return hashlib.sha256(fields_json).hexdigest()


@dataclass(frozen=True)
class Seal:
    """One object as an audited write left it."""

    key: str  # "<kind>:<key>"
    digest: str
    fields: str  # the field digests, as canonical JSON


def seal_of(kind: Tracked, key: str, row: Mapping[str, Any]) -> tuple[Seal, dict[str, str]]:
    """An object's seal, and its field digests as a mapping (what ``verify`` compares)."""
    digests = field_digests(content(row))
    fields = orjson.dumps(digests, option=orjson.OPT_SORT_KEYS)
    return Seal(f"{kind.value}:{key}", object_digest(fields), fields.decode()), digests


def fold(h: Any, pairs: Iterable[tuple[str, str]]) -> Any:
    for key, digest in pairs:
        h.update(orjson.dumps([key, digest]))
    return h


def state_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """The digest an entry's hash covers: of its sealed objects' keys and digests, in order."""
    return str(fold(hashlib.sha256(), pairs).hexdigest())


def seal_columns(
    kind: Tracked,
    keys: Sequence[str],
    same: Mapping[str, Any],
    columns: Mapping[str, Sequence[Any]],
) -> list[Seal]:
    """The seals of objects that share the properties ``same`` and differ in ``columns`` (one
    value per object, in ``keys`` order; None: not stored), exactly as ``seal_of`` makes them
    from each object's properties, in a fraction of the time: a shared field is digested once,
    and so is a value that repeats in a column (a level, a flag, an empty list)."""
    fixed = {str(name): _digest(canonical(v)) for name, v in same.items() if v is not None}
    varying: list[tuple[str, Sequence[Any], dict[Any, str]]] = [
        (str(name), values, {}) for name, values in columns.items()
    ]
    seals: list[Seal] = []
    for i, key in enumerate(keys):
        found = dict(fixed)
        for name, values, seen in varying:
            value = values[i]
            if value is None:
                continue
            marker = _memo_key(value)
            digest = seen.get(marker) if marker is not None else None
            if digest is None:
                digest = _digest(canonical(value))
                if marker is not None:
                    seen[marker] = digest
            found[name] = digest
        fields = orjson.dumps(found, option=orjson.OPT_SORT_KEYS)
        seals.append(Seal(f"{kind.value}:{key}", object_digest(fields), fields.decode()))
    return seals


def _memo_key(value: Any) -> Any:
    """A column value's key for remembering its digest in one call (None: not remembered), by
    type as well: 1, 1.0 and True are equal keys but different JSON."""
    kind = type(value)
    if kind in _PLAIN:
        return (kind, value)
    if kind is list and not value:
        return (list,)
    return None
