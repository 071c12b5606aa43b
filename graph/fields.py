"""The checks every field of an input row shares: text that reads as it is stored, enums,
dates; each problem a ``RowError`` naming the field and the reason (``graph.rows`` checks whole
rows with them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

E = TypeVar("E", bound=StrEnum)

MAX_TEXT = 2000
# Characters no name or text may hold: C0 and C1 controls (U+0085 among them), the invisible
# format characters (zero-width spaces and joiners, U+FEFF, the bidirectional embeddings,
# overrides and isolates that make text read differently from how it is stored), line and
# paragraph separators, lone surrogates and non-characters. Free text may still hold tabs and
# line breaks (\t \n \r).
_HIDDEN = (
    r"\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\ufffe\uffff"
    r"\U000e0001\U000e0020-\U000e007f"
)
_FORBIDDEN = re.compile(rf"[\x00-\x1f{_HIDDEN}]")
_FORBIDDEN_IN_PROSE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{_HIDDEN}]")
_OK, _OK_EDGE = rf"[^\x00-\x1f{_HIDDEN}]", rf"[^\x00-\x1f{_HIDDEN}\s]"
_PLAIN = re.compile(rf"^{_OK_EDGE}(?:{_OK}*{_OK_EDGE})?$")  # clean one-line text, trimmed


class RowError(ValueError):
    """A row that cannot be accepted: ``field`` names the culprit, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    @property
    def problems(self) -> tuple[RowError, ...]:
        """Every field at fault (this one alone, unless it is ``RowErrors``)."""
        return (self,)


class RowErrors(RowError):
    """A row with several fields at fault: ``field`` and ``reason`` are the first one's, the
    message and ``problems`` hold them all."""

    def __init__(self, problems: list[RowError]) -> None:
        super().__init__(problems[0].field, problems[0].reason)
        self.args = ("; ".join(str(p) for p in problems),)
        self.all = tuple(problems)

    @property
    def problems(self) -> tuple[RowError, ...]:
        return self.all


T = TypeVar("T")


class Problems:
    """Checks a row field by field and keeps going past a bad one, so that one answer names
    every field at fault: ``check`` runs one field's check (None when it fails), ``done``
    raises what was found."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: list[RowError] = []

    def check(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The check's value; on a ``RowError`` the problem is kept and the value is None
        (typed as the check's: ``done`` raises before any such value is used)."""
        try:
            return check(*args, **kwargs)
        except RowError as problem:
            for each in problem.problems:
                self.add(each.field, each.reason)
            return None  # type: ignore[return-value]

    def add(self, field: str, reason: str) -> None:
        """A problem found across fields (the first one a field has is kept)."""
        if all(field != seen.field for seen in self.found):
            self.found.append(RowError(field, reason))

    def failed(self, *fields: str) -> bool:
        """Whether any of these fields is at fault already (checks that need them skip)."""
        return any(seen.field in fields for seen in self.found)

    def done(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise RowErrors(self.found)


def text_field(
    raw: Mapping[str, Any],
    field: str,
    *,
    required: bool = False,
    limit: int = 200,
    prose: bool = False,
) -> str | None:
    """``raw[field]`` as clean text of at most ``limit`` characters (``prose``: line breaks and
    tabs allowed), None when blank; ``required`` makes a blank an error."""
    value = raw.get(field)
    if type(value) is str and value and len(value) <= limit and _PLAIN.match(value):
        return value  # the common case: already clean text
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(field, "is required")
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise RowError(field, f"must be text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > limit:
        raise RowError(field, f"is longer than {limit} characters")
    return check_text(field, text, prose=prose)


def check_text(field: str, text: str, *, prose: bool = False) -> str:
    """``text`` unless it holds a control, invisible or bidirectional-override character
    (``prose`` allows tabs and line breaks); the ``RowError`` names the first one found."""
    found = (_FORBIDDEN_IN_PROSE if prose else _FORBIDDEN).search(text)
    if found is not None:
        char = found.group()
        raise RowError(
            field,
            f"holds the invisible or control character U+{ord(char):04X} at position "
            f"{found.start() + 1}; names and texts must read as they are stored",
        )
    return text


def required_field(raw: Mapping[str, Any], field: str, limit: int = 200) -> str:
    """``raw[field]`` as clean text, which must not be blank."""
    text = text_field(raw, field, required=True, limit=limit)
    assert text is not None
    return text


def enum_field(raw: Mapping[str, Any], field: str, enum: type[E], default: E | None = None) -> E:
    """``raw[field]`` as a member of ``enum`` (any case), ``default`` when blank."""
    value = text_field(raw, field, required=default is None)
    if value is None:
        assert default is not None
        return default
    try:
        return enum(value.lower())
    except ValueError:
        allowed = "|".join(member.value for member in enum)
        raise RowError(field, f"must be one of {allowed}, got {value!r}") from None


def date_field(raw: Mapping[str, Any], field: str, *, required: bool = False) -> date | None:
    """``raw[field]`` as a date YYYY-MM-DD, not in the future nor before 1900."""
    value = raw.get(field)
    if isinstance(value, date):
        parsed = value
    else:
        text = text_field(raw, field, required=required, limit=10)
        if text is None:
            return None
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise RowError(field, f"must be a date YYYY-MM-DD, got {text!r}") from None
    if parsed > date.today():
        raise RowError(field, f"{parsed.isoformat()} is in the future")
    if parsed.year < 1900:
        raise RowError(field, f"{parsed.isoformat()} is before 1900")
    return parsed
