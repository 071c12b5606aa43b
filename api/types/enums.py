"""The registry's enums, registered as GraphQL enums (names in capitals, values as imported),
each value described (``api.types.described``).

``described`` registers the model enums themselves, so resolvers return the same members the
graph layer uses, and type checkers see ordinary Python enums.
"""

from __future__ import annotations

from api.codes import MEANINGS, ErrorCode
from api.types.described import described
from graph.models import (
    Category,
    CompanyStatus,
    EntityKind,
    Polarity,
    RecordStatus,
    RelType,
    Severity,
)
from graph.parties import IdType
from graph.repositories.search import MatchedOn, SearchKind
from scoring.engine import ContributionKind
from scoring.vocabulary import ConsequenceCode, ConsequenceKind, Direction, LevelName

described(
    Polarity,
    "Whether a record is good or a warning.",
    {
        Polarity.GOOD: "Good conduct (守信): adds points.",
        Polarity.WARNING: "A warning (失信): subtracts points, may blacklist.",
    },
)
described(
    Severity,
    "How grave a record is; sets how long it stays published.",
    {
        Severity.MINOR: "Minor (轻微): the shortest publication.",
        Severity.GENERAL: "General (一般).",
        Severity.SERIOUS: "Serious (严重): the longest publication.",
    },
)
described(
    Category,
    "The area a record belongs to: administrative affairs, commercial activities, social "
    "behaviour, or law enforcement and the judiciary.",
    {
        Category.ADMINISTRATIVE: "Administrative affairs (政务): penalties, taxes, licences.",
        Category.COMMERCIAL: "Commercial activities (商务): loans, bills, contracts.",
        Category.SOCIAL: "Social behaviour (社会): transport, volunteering, donations.",
        Category.JUDICIAL: "Law enforcement and the judiciary (司法): judgments not complied with.",
    },
)
described(
    RecordStatus,
    "A record's standing; only ACTIVE records are published and counted.",
    {
        RecordStatus.ACTIVE: "In force: published and counted until it expires.",
        RecordStatus.DISPUTED: "Under dispute; counted or suspended as its scheme says.",
        RecordStatus.EXPIRED: "Its publication ended; kept in the history, no longer counted.",
        RecordStatus.REMOVED: "Removed after a dispute: it was wrong.",
        RecordStatus.RESTORED: "Publication ended early by credit restoration (信用修复).",
    },
)
described(
    CompanyStatus,
    "A company's registration status.",
    {
        CompanyStatus.ACTIVE: "Registered and operating (存续).",
        CompanyStatus.REVOKED: "Business licence revoked (吊销).",
        CompanyStatus.CANCELLED: "Deregistered (注销).",
    },
)
described(
    RelType,
    "A relationship between two entities; the end is always a company.",
    {
        RelType.LEGAL_REPRESENTATIVE_OF: "A person is the company's legal representative (法人).",
        RelType.SHAREHOLDER_OF: "A person or company holds a stake in the company (股东).",
        RelType.OFFICER_OF: "A person holds an office in the company (董事、监事、高管).",
        RelType.BRANCH_OF: "A company is a branch of the company (分支机构).",
    },
)
described(
    IdType,
    "The document a person is identified by: a resident identity card, a residence permit of "
    "Hong Kong and Macao or of Taiwan residents, a mainland travel permit of those residents, a "
    "foreign passport, or a foreign permanent resident identity card (外国人永久居留身份证).",
    {
        IdType.RESIDENT_ID: "Resident identity card (居民身份证, GB 11643).",
        IdType.HK_MACAO_PERMIT: "Residence permit of Hong Kong and Macao residents (港澳居住证).",
        IdType.TAIWAN_PERMIT: "Residence permit for Taiwan residents (台湾居民居住证).",
        IdType.MAINLAND_TRAVEL_PERMIT: "Mainland travel permit (港澳/台湾居民来往内地通行证).",
        IdType.PASSPORT: "A foreign passport; its issuing country goes with it.",
        IdType.FOREIGN_PERMANENT_RESIDENT: "Foreign permanent resident ID card (永居证).",
    },
)
described(
    EntityKind,
    "What kind of party an entity is.",
    {EntityKind.COMPANY: "A company or other organisation.", EntityKind.PERSON: "A person."},
)
described(
    SearchKind,
    "Which entities a search returns.",
    {
        SearchKind.ANY: "Companies, and people where the caller's role may search them.",
        SearchKind.COMPANY: "Companies only.",
        SearchKind.PERSON: "People only (roles that may look up people).",
    },
)
described(
    MatchedOn,
    "What made an entity match a search.",
    {
        MatchedOn.CODE: "Its USCC or party key.",
        MatchedOn.REGISTRATION_NUMBER: "Its business registration number.",
        MatchedOn.ID_NUMBER: "Its identity number.",
        MatchedOn.NAME: "Its name.",
        MatchedOn.LEGAL_REPRESENTATIVE: "The name of its legal representative.",
    },
)
described(ErrorCode, ErrorCode.__doc__ or "", MEANINGS)
described(
    LevelName,
    "A credit level, as a scheme's bands give them (best first). The individual scheme uses "
    "AAA to D, the enterprise scheme A to D; `Scheme.levels` has each band's points and meaning.",
    {
        LevelName.AAA: "The best level (individual scheme).",
        LevelName.AA: "Second best (individual scheme).",
        LevelName.A: "Good credit; the enterprise scheme's best.",
        LevelName.B: "Fair credit, or ordinary risk.",
        LevelName.C: "Poor credit, or elevated risk.",
        LevelName.D: "The worst level: dishonest, on the blacklist in both schemes.",
    },
    name="CreditLevel",
)
described(
    ConsequenceKind,
    "Whether a consequence restricts its subject or grants a privilege.",
    {
        ConsequenceKind.RESTRICTION: "A restriction (惩戒) while in force.",
        ConsequenceKind.PRIVILEGE: "A privilege (激励) while in force.",
    },
)
described(
    ConsequenceCode,
    "A restriction or privilege a scheme can attach to levels or to the blacklist, by its "
    "stable code; `Scheme.consequences` says which a scheme uses and what sets each.",
    {
        ConsequenceCode.AIR_TRAVEL: "May not buy air tickets.",
        ConsequenceCode.HIGH_SPEED_RAIL: "May not buy high-speed rail tickets.",
        ConsequenceCode.LUXURY_HOTELS: "May not stay in star-rated hotels.",
        ConsequenceCode.TRAVEL_ABROAD: "May not travel abroad.",
        ConsequenceCode.BANK_LOAN: "Loans refused or only with extra security.",
        ConsequenceCode.GOVERNMENT_PROCUREMENT: "Excluded from government procurement.",
        ConsequenceCode.PUBLIC_SUBSIDIES: "No government subsidies or preferential policies.",
        ConsequenceCode.MARKET_ENTRY: "Its representatives may not found new companies.",
        ConsequenceCode.DEPOSIT_FREE_RENTAL: "Bikes, umbrellas and flats rented without deposit.",
        ConsequenceCode.HOTEL_DEPOSIT_WAIVER: "Hotel booking without a deposit.",
        ConsequenceCode.FAST_TRACK_HOSPITAL: "Fast-track hospital appointments.",
        ConsequenceCode.BUSINESS_START_SUPPORT: "Support for starting a business.",
        ConsequenceCode.SIMPLIFIED_APPROVAL: "Simplified administrative approvals.",
        ConsequenceCode.TAX_FAST_TRACK: "Fast-track tax services.",
    },
)
described(
    Direction,
    "Which way a relationship is crossed.",
    {
        Direction.FORWARD: "Along its arrow: from the person or company to the company.",
        Direction.BACKWARD: "Against its arrow: from the company to the person or company.",
    },
)
described(
    ContributionKind,
    "Where a contribution's points come from.",
    {
        ContributionKind.RECORD: "One of the subject's own records, under a rule.",
        ContributionKind.PROPAGATED: "A linked party's record, along a path of confirmed links.",
        ContributionKind.CAP: "A cap of the scheme's, taking back points past its limit.",
    },
)

__all__ = [
    "Category",
    "CompanyStatus",
    "ConsequenceCode",
    "ConsequenceKind",
    "ContributionKind",
    "Direction",
    "EntityKind",
    "ErrorCode",
    "IdType",
    "LevelName",
    "MatchedOn",
    "Polarity",
    "RecordStatus",
    "RelType",
    "SearchKind",
    "Severity",
]
