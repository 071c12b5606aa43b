"""Restoration: a subject whose conduct is corrected asks to end a warning record's publication
early, once its scheme's minimum publication (``Scheme.restoration``, months by severity) has
passed; a registrar approves (the record is RESTORED: out of the score and of public view,
still in the history) or refuses. The request and the decision are audited; deciding follows
``usecases.disputes.decide``.
"""

from __future__ import annotations

from datetime import date

from graph.models import Polarity, RecordStatus
from graph.repositories.disputes import Dispute, Kind, Status
from scoring.policy import add_months
from usecases.disputes import checked_text, decide, open_case, open_case_of, subject_of
from usecases.errors import Refusal
from usecases.session import Session


async def request_restoration(session: Session, record_id: str, reason: str) -> Dispute:
    """Ask to end an active warning record's publication early (its subject)."""
    subject = await subject_of(session.graph, record_id)
    text = checked_text("reason", reason)
    record = subject.record
    if record.polarity is not Polarity.WARNING or record.status is not RecordStatus.ACTIVE:
        raise Refusal("recordId", "only an active warning record can be restored early")
    scheme = session.schemes.choose(subject.kind)
    months = scheme.restoration[record.severity.value]
    earliest = add_months(record.decided_on, months)
    if date.today() < earliest:
        raise Refusal(
            "recordId",
            f"{scheme.id} publishes a {record.severity.value} record at least {months} "
            f"months: restoration can be asked for from {earliest.isoformat()}",
        )
    return await open_case(session, "requestRestoration", Kind.RESTORATION, subject, text)


async def decide_restoration(
    session: Session, request_id: str, approve: bool, note: str
) -> Dispute:
    """A registrar approves (the record becomes RESTORED) or refuses a restoration request."""
    case = await open_case_of(session, request_id, Kind.RESTORATION, "restoration request")
    text = checked_text("note", note)
    status = Status.APPROVED if approve else Status.REFUSED
    return await decide(session, "decideRestoration", case, status, text)
