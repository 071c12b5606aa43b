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


class LevelName(StrEnum):
    """The levels a scheme's bands may give, best first (a scheme uses some or all of them)."""

    AAA = "AAA"
    AA = "AA"
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Direction(StrEnum):
    """Along a relationship's arrow (a's risk reaches b), or against it."""

    FORWARD = "forward"
    BACKWARD = "backward"


class ConsequenceKind(StrEnum):
    RESTRICTION = "restriction"
    PRIVILEGE = "privilege"


class ConsequenceCode(StrEnum):
    """The restrictions and privileges schemes may attach to levels or to the blacklist: a
    stable code each, so that a relying party can ask about one by name."""

    AIR_TRAVEL = "air_travel"
    HIGH_SPEED_RAIL = "high_speed_rail"
    LUXURY_HOTELS = "luxury_hotels"
    TRAVEL_ABROAD = "travel_abroad"
    BANK_LOAN = "bank_loan"
    GOVERNMENT_PROCUREMENT = "government_procurement"
    PUBLIC_SUBSIDIES = "public_subsidies"
    MARKET_ENTRY = "market_entry"
    DEPOSIT_FREE_RENTAL = "deposit_free_rental"
    HOTEL_DEPOSIT_WAIVER = "hotel_deposit_waiver"
    FAST_TRACK_HOSPITAL = "fast_track_hospital"
    BUSINESS_START_SUPPORT = "business_start_support"
    SIMPLIFIED_APPROVAL = "simplified_approval"
    TAX_FAST_TRACK = "tax_fast_track"


SUBJECTS = ("person", "company")  # whom a scheme scores
RELS = ("LEGAL_REPRESENTATIVE_OF", "SHAREHOLDER_OF", "OFFICER_OF", "BRANCH_OF")
DIRECTIONS = tuple(d.value for d in Direction)
CONSEQUENCE_KINDS = tuple(k.value for k in ConsequenceKind)
LEVELS = tuple(level.value for level in LevelName)
CONSEQUENCES = tuple(c.value for c in ConsequenceCode)
