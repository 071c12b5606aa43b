"""Who may do what: the role matrix (each field's rule in ``api.permissions`` asks it), and the
note of which people an operation read.

The matrix is data (``MATRIX``); README shows it and ``tests/test_api_access.py`` tests every
cell against a table of its own. A refusal is a GraphQL error naming the roles that would do,
never a silent null. Writes run in one transaction with their audit entry (a use case's
``Session.audited``); reads of a person's file by a relying party or an investigator are noted
here (``note_read``) and written as one read entry per operation (``api.read_audit``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from api.context import Info
from api.errors import PermissionDenied
from graph.repositories.keys import Role

T = TypeVar("T")


class Can(StrEnum):
    """What a role may do; each resolver asks for one of these."""

    READ_COMPANIES = "read companies, their public records, scores and the publicity feed"
    LOOK_UP_PERSONS = "look up people (identity numbers masked)"
    CHECK_ELIGIBILITY = "check eligibility"
    READ_FULL_FILES = "read full files (every record, people's scores and history)"
    SEE_ID_NUMBERS = "see whole identity numbers"
    INVESTIGATE = "trace paths, linkage, common links, ownership and risk scans"
    WATCH = "watch entities"
    WRITE = "write to the registry"
    RESOLVE_DISPUTES = "resolve disputes and restoration requests"
    DISPUTE = "dispute records and ask for restoration"
    READ_AUDIT = "read and verify the audit log"
    SEE_WHO_LOOKED = "see who looked at their file"


P, RP, INV, REG, AUD, SUB = (
    Role.PUBLIC,
    Role.RELYING_PARTY,
    Role.INVESTIGATOR,
    Role.REGISTRAR,
    Role.AUDITOR,
    Role.SUBJECT,
)
# Role -> what it may do. A subject key may do its part only for its own person or company.
MATRIX: dict[Can, frozenset[Role]] = {
    Can.READ_COMPANIES: frozenset({P, RP, INV, REG, AUD, SUB}),
    Can.LOOK_UP_PERSONS: frozenset({RP, INV, REG, SUB}),
    Can.CHECK_ELIGIBILITY: frozenset({RP, INV, REG, SUB}),
    Can.READ_FULL_FILES: frozenset({INV, REG, SUB}),
    Can.SEE_ID_NUMBERS: frozenset({INV, REG, SUB}),
    Can.INVESTIGATE: frozenset({INV, REG}),
    Can.WATCH: frozenset({RP, INV, REG}),
    Can.WRITE: frozenset({REG}),
    Can.RESOLVE_DISPUTES: frozenset({REG}),
    Can.DISPUTE: frozenset({REG, SUB}),
    Can.READ_AUDIT: frozenset({AUD}),
    Can.SEE_WHO_LOOKED: frozenset({SUB}),
}
# Roles whose reads of a person's file are audited.
AUDITED_READERS = frozenset({RP, INV})


def allowed(info: Info, can: Can, subject: str | None = None) -> bool:
    """Whether the caller may ``can`` (for ``subject``, when the permission is per subject)."""
    caller = info.context.caller
    if caller.role not in MATRIX[can]:
        return False
    if caller.role is Role.SUBJECT:
        return subject is not None and subject == caller.subject
    return True


def require(info: Info, can: Can, subject: str | None = None) -> None:
    """Raise ``PermissionDenied`` naming the roles that may, unless the caller may."""
    if allowed(info, can, subject):
        return
    roles = sorted(r.value for r in MATRIX[can])
    role = info.context.caller.role.value
    own = " (a subject key only for its own file)" if Role.SUBJECT in MATRIX[can] else ""
    raise PermissionDenied(
        f"{info.field_name}: needs the role {' or '.join(roles)}{own} to {can.value}; "
        f"the caller's role is {role}"
    )


def note_read(info: Info, subject: str) -> None:
    """Note that the operation reads ``subject`` (a person), for a caller whose reads are
    audited: ``api.read_audit`` appends one entry naming every person an operation read."""
    context = info.context
    reads = context.reads
    if context.caller.role not in AUDITED_READERS or subject in reads.audited:
        return
    reads.subjects.add(subject)
    reads.fields.add(_root_field(info))


def _root_field(info: Info) -> str:
    """The root field (its name, not the client's alias) the current field is under."""
    path = info.path
    while path.prev is not None:
        path = path.prev
    for selection in info.operation.selection_set.selections:
        alias = getattr(selection, "alias", None)
        name = getattr(selection, "name", None)
        if name is not None and (alias or name).value == path.key:
            return str(name.value)
    return str(path.key)
