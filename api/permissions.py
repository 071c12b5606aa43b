"""Every field's access rule, declared next to the field as a strawberry permission class.

There is one mechanism: a field names its rule in ``permission_classes``, or its type names one
for all its fields that do not (``fields_need``). The rules run the same over HTTP and
WebSocket, since both execute through the schema. ``tests/test_api_permissions.py`` walks the
whole schema and fails for any field without a declared rule.

- ``Open``: anyone, the public included (companies, their published records, schemes ...).
- ``Inherited``: the field belongs to a type that only a checked field returns (a score, an
  audit entry); that field decided. Declared, never run.
- ``needs(can)``: the caller's role must be one the matrix allows (``api.access.MATRIX``); a
  subject key passes where its role does, and the field shows it only its own.
- ``PersonField``: a person's fields, for the roles that may look people up (a subject key for
  its own person only); the public sees no person anywhere.
- ``FileField``: a file's records, score and history; for a person the full file.

Every rule that lets a relying party or an investigator read a person notes the person, and
``api.read_audit`` appends one entry per operation naming them all.
- ``RecordField``: a record, by its subject and status (see the class).
- ``ScoreField``: stored scores (and a watch event's), public for companies only.
- ``PersonLookup``, ``SearchAccess``, ``EligibilityAccess``, ``record_subject(can)``,
  ``BlacklistAccess``: root fields whose rule depends on their arguments.
- ``WritesOn``: mutations, where writes are turned on.

A refusal is a ``PermissionDenied`` naming the roles that may, never a silent null.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from strawberry.permission import BasePermission, PermissionExtension

from api.access import Can, allowed, note_read, require
from api.context import Info
from api.errors import PermissionDenied
from graph.identifiers import IdentifierError
from graph.parties import is_person_key, person_key

T = TypeVar("T", bound=type)


class Rule(BasePermission):
    """A declared rule; ``has_permission`` returns True or raises ``PermissionDenied`` (from
    ``require``, with the roles that may and the caller's)."""

    summary = ""  # what the rule is, in words (the permission test prints it)


class Open(Rule):
    summary = "anyone, the public included"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Inherited(Rule):
    summary = "decided by the field that returns this type"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


# Rules that are only declarations: no extension is added for them, so they cost nothing.
DECLARATIONS: tuple[type[Rule], ...] = (Open, Inherited)


@cache
def needs(can: Can) -> type[Rule]:
    """The rule "the caller's role may ``can``" (one class per permission)."""

    def has_permission(self: Rule, source: Any, info: Info, **kwargs: Any) -> bool:
        # A subject key passes for its own subject; the field then shows only that.
        require(info, can, info.context.caller.subject)
        return True

    name = "Needs" + "".join(part.title() for part in can.name.split("_"))
    return type(name, (Rule,), {"summary": can.value, "has_permission": has_permission})


def _subject_of(source: Any) -> str:
    return str(source.record_subject())


class WritesOn(Rule):
    """Mutations run only where writes are turned on (``CREDGRAPH_ALLOW_WRITES``)."""

    summary = "writes turned on (CREDGRAPH_ALLOW_WRITES)"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not info.context.settings.writes_allowed:
            raise PermissionDenied("writes are turned off on this server (CREDGRAPH_ALLOW_WRITES)")
        return True


class PersonField(Rule):
    """A person's fields: for roles that may look people up, a subject key only its own."""

    summary = Can.LOOK_UP_PERSONS.value

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        subject = _subject_of(source)
        require(info, Can.LOOK_UP_PERSONS, subject)
        note_read(info, subject)  # audited: one entry for the operation (api.read_audit)
        return True


class FileField(Rule):
    """Records, score and history: a person's need the full file (audited for relying
    parties and investigators); a company's are public (published records only)."""

    summary = "a company's for anyone; a person's for full-file readers, audited"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        from api.types.person import PersonType

        if isinstance(source, PersonType):
            subject = _subject_of(source)
            require(info, Can.READ_FULL_FILES, subject)
            note_read(info, subject)
        return True


class RecordField(Rule):
    """A record: a company's published (active) record for anyone; any other record (a
    person's, or one disputed, removed or restored) for full-file readers of its subject,
    unless the field that returned it already decided (``cleared``: the records behind an
    eligibility answer, the records of a file the caller may read)."""

    summary = "a company's published record for anyone; the rest for full-file readers"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        model = source.model
        person = is_person_key(model.subject_key)
        if not source.cleared and (person or model.status.value != "active"):
            require(info, Can.READ_FULL_FILES, model.subject_key)
        if person:
            note_read(info, model.subject_key)
        return True


class ScoreField(Rule):
    """A stored score, or a watch event's score, level and scheme: a company's for anyone (its
    scores are public), a person's only for those who may read the person's full file."""

    summary = "a company's for anyone; a person's for full-file readers"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if is_person_key(source.subject_key):
            require(info, Can.READ_FULL_FILES, source.subject_key)
            note_read(info, source.subject_key)
        return True


class PersonLookup(Rule):
    """``person(idNumber:)``: roles that look people up; a subject key only itself."""

    summary = Can.LOOK_UP_PERSONS.value

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        id_type = kwargs.get("id_type")
        try:
            number: str | None = person_key(
                str(kwargs.get("id_number", "")),
                id_type.value if id_type is not None else None,
                kwargs.get("nationality"),
            )
        except IdentifierError:
            number = None  # the resolver names the malformed argument
        require(info, Can.LOOK_UP_PERSONS, number)
        return True


class SearchAccess(Rule):
    """``search``: anyone for companies; ``kind: PERSON`` for roles that look people up; an
    identity number searched among people for roles that see whole numbers."""

    summary = (
        "companies for anyone; people for roles that look them up; by identity number for "
        "roles that see whole numbers"
    )

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        from api.types.enums import SearchKind

        kind = kwargs.get("kind", SearchKind.ANY)
        if kind is SearchKind.PERSON:
            require(info, Can.LOOK_UP_PERSONS)
        if kind is SearchKind.ANY and not allowed(info, Can.LOOK_UP_PERSONS):
            kind = SearchKind.COMPANY  # the public finds companies only
        text = str(kwargs.get("query", "")).strip()
        if kind is not SearchKind.COMPANY and is_person_key(text):
            # A number found by search would confirm a guessed identity number outright.
            require(info, Can.SEE_ID_NUMBERS)
        return True


class BlacklistAccess(Rule):
    """``blacklist``: a scheme for companies is public; one for people needs full files."""

    summary = "companies' blacklists for anyone; people's for full-file readers"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        scheme = info.context.schemes.get(str(kwargs.get("scheme")))
        if scheme is not None and "person" in scheme.subjects:
            require(info, Can.READ_FULL_FILES)
        return True


class EligibilityAccess(Rule):
    """``eligibility(id:)``: roles that check eligibility; a subject key only its own."""

    summary = Can.CHECK_ELIGIBILITY.value

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        from api.types.company import CompanyType
        from api.types.nodes import resolve_nodes
        from api.types.person import PersonType

        require(info, Can.CHECK_ELIGIBILITY, info.context.caller.subject)
        (node,) = await resolve_nodes(info, [kwargs["id"]])
        if isinstance(node, (CompanyType, PersonType)):
            require(info, Can.CHECK_ELIGIBILITY, node.record_subject())
        return True


def record_subject(can: Can) -> type[Rule]:
    """The rule "the caller may ``can`` for the subject of the record ``recordId``"."""

    async def has_permission(self: Rule, source: Any, info: Info, **kwargs: Any) -> bool:
        from graph.repositories.records import records_by_id

        require(info, can, info.context.caller.subject)
        # Read past the request's loaders: the mutation changes the record, and what its
        # answer shows must be read afresh.
        (found,) = await records_by_id(info.context.graph, [str(kwargs.get("record_id", ""))])
        if found is not None:
            require(info, can, found.subject_key)
        return True

    name = "RecordSubject" + "".join(part.title() for part in can.name.split("_"))
    return type(name, (Rule,), {"summary": f"{can.value}, for the record's subject",
                                "has_permission": has_permission})  # fmt: skip


def fields_need(rule: type[Rule]) -> Callable[[T], T]:
    """Give every field of a strawberry type that declares no rule of its own ``rule``.

    Put it above ``@strawberry.type``. Fields a type shares with an interface (``name``,
    ``id``) are copied first, so a rule given to a person's ``name`` stays off a company's.
    """

    def apply(cls: T) -> T:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        for index, field in enumerate(definition.fields):
            if field.permission_classes:
                continue
            own = copy.copy(field)
            own.permission_classes = [rule]
            own.extensions = list(field.extensions)
            if rule not in DECLARATIONS:
                own.extensions.append(PermissionExtension([rule()], use_directives=False))
            definition.fields[index] = own
        return cls

    return apply
