"""The registry's vocabulary, defined once: record categories, polarities, severities and
statuses, and the words schemes use for subjects, relationships, directions and consequences.
``graph.models`` and the GraphQL enums use these same members; schemes and the catalogue check
their fields against them.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    ADMINISTRATIVE = "administrative"
    COMMERCIAL = "commercial"
    SOCIAL = "social"
    JUDICIAL = "judicial"


class Polarity(StrEnum):
    GOOD = "good"
    WARNING = "warning"


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class RecordStatus(StrEnum):
    """A record's standing; only ACTIVE records are published and counted."""

    ACTIVE = "active"
    DISPUTED = "disputed"
    EXPIRED = "expired"
    REMOVED = "removed"
    RESTORED = "restored"


CATEGORIES = tuple(c.value for c in Category)
POLARITIES = tuple(p.value for p in Polarity)
SEVERITIES = tuple(s.value for s in Severity)

SUBJECTS = ("person", "company")  # whom a scheme scores
RELS = ("LEGAL_REPRESENTATIVE_OF", "SHAREHOLDER_OF", "OFFICER_OF", "BRANCH_OF")
DIRECTIONS = ("forward", "backward")  # along the arrow (a's risk reaches b), or against it
CONSEQUENCE_KINDS = ("restriction", "privilege")
