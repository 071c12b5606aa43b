"""Scoring policy, written once for the engine (one subject) and the matrix pass (every subject):
whether a record counts, when it expires, how the caps cut, and the reasons given in words.

``scoring.engine`` applies these to one subject's records as Python values, ``scoring.batch`` to
arrays of every record; ``tests/test_scoring_batch.py`` checks that both agree on every entity.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.scheme import Scheme
from scoring.vocabulary import RecordStatus

# A record's status for scoring on a day: the stored statuses, and two of the engine's own.
COUNTING = RecordStatus.ACTIVE.value
EXPIRED = RecordStatus.EXPIRED.value
DISPUTED = RecordStatus.DISPUTED.value
UNSCORED = "unscored"  # no rule of the scheme scores it
CAPPED = "capped"  # a cap's contribution
NOT_COUNTED = (RecordStatus.REMOVED.value, RecordStatus.RESTORED.value)  # never, on any day

Amount = float | npt.NDArray[Any]  # one subject's points, or every subject's


def may_count(status: str, scheme: Scheme) -> bool:
    """Whether a record with this stored status counts while it is in force: neither removed
    nor restored, and not disputed under a scheme that suspends disputed records."""
    if status in NOT_COUNTED:
        return False
    return not (status == DISPUTED and scheme.suspend_disputed)


def standing(status: str, has_rule: bool, expired: bool, scheme: Scheme) -> str:
    """A record's status for scoring: removed and restored never count, a record no rule
    scores is unscored, an expired one (``as_of`` on or past its expiry) expired, a disputed
    one disputed when the scheme suspends disputes; otherwise it counts."""
    if status in NOT_COUNTED:
        return status
    if not has_rule:
        return UNSCORED
    if expired:
        return EXPIRED
    return COUNTING if may_count(status, scheme) else DISPUTED  # only a suspended dispute


def add_months(day: date, months: int) -> date:
    """``day`` plus a number of calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_months_to_days(
    days: npt.NDArray[np.datetime64], months: npt.NDArray[np.int64]
) -> npt.NDArray[np.datetime64]:
    """``add_months`` for arrays of days and of months."""
    month_start = days.astype("datetime64[M]")
    target = month_start + months.astype("timedelta64[M]")
    day_index = (days - month_start.astype("datetime64[D]")).astype(np.int64)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    offset = np.minimum(day_index, length - 1)
    result: npt.NDArray[np.datetime64] = target.astype("datetime64[D]") + offset.astype(
        "timedelta64[D]"
    )
    return result


def positive_cut(given: Amount, scheme: Scheme) -> Amount:
    """How many of the points given (``given`` >= 0) the scheme's ``caps.max_positive`` takes
    back (0 without the cap)."""
    if scheme.max_positive is None:
        return given * 0
    cut: Amount = np.maximum(given - scheme.max_positive, 0.0)
    return cut


def negative_cut(taken: Amount, scheme: Scheme) -> Amount:
    """How many of the points taken (``taken`` >= 0, own and propagated) the scheme's
    ``caps.max_negative`` gives back (0 without the cap)."""
    if scheme.max_negative is None:
        return taken * 0
    cut: Amount = np.maximum(taken - scheme.max_negative, 0.0)
    return cut


MAX_POSITIVE_RULE = "caps.max_positive"
MAX_NEGATIVE_RULE = "caps.max_negative"


def level_reason(level: str) -> str:
    """Why a subject is blacklisted (or a consequence applies) by its level."""
    return f"level {level}"


def record_reason(record_id: str, rule_id: str) -> str:
    """Why a subject is blacklisted by one of its records."""
    return f"record {record_id} under rule {rule_id}"


BLACKLIST_REASON = "on the blacklist"  # why a consequence of the blacklist applies
