"""Rectification status of findings (pure): what the returned ledgers say, judged against the new run.

Ledger statuses (records.md `prior_findings.status`): 未启动 整改中 申请销号 已销号 超期 长期坚持.
已销号 and 长期坚持 are closed, the others open; an open item past its 整改时限 at the as-of date is
超期 whatever the unit wrote. A finding found again although its unit marked it 已销号 is a
虚假销号 — unless a run at or after the closure date no longer found it: then the closure held,
the problem came back (RC04) and the item is reopened with a new deadline.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from checker.inputs.schema import RECTIFICATION_STATUSES

from checker.history.diff import RunRef, closure_confirmed

NOT_STARTED = "未启动"
IN_PROGRESS = "整改中"
CLOSURE_REQUESTED = "申请销号"
CLOSED = "已销号"
OVERDUE = "超期"
LONG_TERM = "长期坚持"
STATUSES = RECTIFICATION_STATUSES          # records.md `prior_findings.status`, in its order
CLOSED_STATUSES = (CLOSED, LONG_TERM)
FALSE_CLOSURE = "虚假销号"


@dataclass(frozen=True)
class ItemState:
    """A ledger item as stored: status, 整改时限 and what the unit reported."""

    fingerprint: str
    unit: str
    status: str
    deadline: dt.date
    issued_on: dt.date
    closed_on: dt.date | None = None
    measures: str | None = None
    responsible_unit: str | None = None
    responsible_person: str | None = None
    progress: str | None = None
    evidence: str | None = None
    reviewer: str | None = None
    updated: dt.date | None = None         # as-of of the last import that changed the item (None: never reported)


def is_open(status: str) -> bool:
    """True for the statuses that still need rectification."""
    return status not in CLOSED_STATUSES


def days_left(deadline: dt.date, as_of: dt.date) -> int:
    """Days from the as-of date to the deadline (negative: days overdue)."""
    return (deadline - as_of).days


def status_label(status: str, overdue: bool, false_closure: bool) -> str:
    """What a report shows in its status column: 虚假销号, 超期, or the recorded status."""
    if false_closure:
        return FALSE_CLOSURE
    if overdue:
        return OVERDUE
    return status


@dataclass(frozen=True)
class Judgement:
    """The rectification entry of one current finding, and whether its item must be reopened."""

    entry: dict[str, Any]
    reopen: bool
    deadline: dt.date              # the deadline the finding carries in this run's reports


def judge(fingerprint: str, finding_deadline: dt.date, item: ItemState | None, as_of: dt.date,
          timeline: Sequence[RunRef], found: Mapping[int, set[str]]) -> Judgement:
    """The rectification status of a finding of the current run (found now, by definition)."""
    reopen = False
    false_closure = False
    if item is None:
        status, deadline, issued = NOT_STARTED, finding_deadline, as_of
    else:
        status, deadline, issued = item.status, item.deadline, item.issued_on
        if status == CLOSED:
            closed_on = item.closed_on or item.updated or item.issued_on   # imports always give 已销号 a date
            if closure_confirmed(fingerprint, closed_on, timeline, found):
                reopen = True
                status, deadline, issued = NOT_STARTED, finding_deadline, as_of
            elif as_of >= closed_on:
                false_closure = True
    overdue = (is_open(status) or false_closure) and deadline < as_of
    entry: dict[str, Any] = {
        "status": status,
        "label": status_label(status, overdue, false_closure),
        "deadline": deadline.isoformat(),
        "days_left": days_left(deadline, as_of),
        "overdue": overdue,
        "false_closure": false_closure,
        "reopened": reopen,
        "issued_on": issued.isoformat(),
        "closed_on": None, "measures": None, "responsible_unit": None, "responsible_person": None,
        "progress": None, "evidence": None, "reviewer": None, "updated": None,
    }
    if item is not None and not reopen:
        entry.update({
            "closed_on": item.closed_on.isoformat() if item.closed_on else None,
            "measures": item.measures, "responsible_unit": item.responsible_unit,
            "responsible_person": item.responsible_person, "progress": item.progress,
            "evidence": item.evidence, "reviewer": item.reviewer,
            "updated": item.updated.isoformat() if item.updated else None,
        })
    return Judgement(entry, reopen, deadline)
