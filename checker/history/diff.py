"""Comparing runs (pure functions): new / persisting / resolved per unit, and recurrences (RC04).

Runs are ordered by (as-of date, record number). A unit's timeline is the list of earlier runs of
the same pack that checked it; "the previous run" of a unit is the last of them. Findings are
matched by fingerprint (the ledger's 问题编号), whatever their status (a waived finding is still found).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

NEW = "new"
PERSISTING = "persisting"
RESOLVED = "resolved"
CHANGE_LABELS = {NEW: "新增", PERSISTING: "持续", RESOLVED: "已解决"}
RECURRENCE_RULE = "RC04"


@dataclass(frozen=True)
class RunRef:
    """A stored run as comparisons refer to it."""

    id: int                        # record number (编号)
    uid: str                       # run id shown in outputs and evidence
    as_of: dt.date
    started: str = ""

    def to_json(self) -> dict[str, Any]:
        """{"run": uid, "seq": id, "as_of": ISO date}."""
        return {"run": self.uid, "seq": self.id, "as_of": self.as_of.isoformat()}


@dataclass(frozen=True)
class FindingBrief:
    """What a comparison shows of a finding that is not in the current run."""

    fingerprint: str
    rule: str
    title: str
    severity: str
    item: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The finding as the `diff` section lists resolved ones."""
        return {"fingerprint": self.fingerprint, "rule": self.rule, "title": self.title,
                "severity": self.severity, "item": self.item, "message": self.message}


@dataclass
class UnitDiff:
    """One unit compared with its previous run (previous None: first check, everything is new)."""

    unit: str
    name: str
    previous: RunRef | None
    new: list[str] = field(default_factory=list)
    persisting: list[str] = field(default_factory=list)
    resolved: list[FindingBrief] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The unit entry of the `diff` section."""
        return {"unit": self.unit, "name": self.name,
                "previous": self.previous.to_json() if self.previous else None,
                "first_check": self.previous is None,
                "new": list(self.new), "persisting": list(self.persisting),
                "resolved": [r.to_json() for r in self.resolved]}


@dataclass(frozen=True)
class Recurrence:
    """A finding found in an earlier run, absent from a later one, and found again now."""

    unit: str
    fingerprint: str
    first_run: RunRef              # the first run that found it
    resolved_run: RunRef           # the latest run that no longer found it
    times: int                     # how often it came back after being resolved, this time included


def compare_unit(unit: str, name: str, current: Sequence[str], previous: RunRef | None,
                 previous_findings: Mapping[str, FindingBrief]) -> UnitDiff:
    """The diff of one unit: current fingerprints (in report order) against the previous run's findings."""
    diff = UnitDiff(unit, name, previous)
    if previous is None:
        diff.new = list(dict.fromkeys(current))
        return diff
    now = set(current)
    for fp in dict.fromkeys(current):
        (diff.persisting if fp in previous_findings else diff.new).append(fp)
    diff.resolved = [brief for fp, brief in previous_findings.items() if fp not in now]
    return diff


def find_recurrences(unit: str, current: Iterable[str], timeline: Sequence[RunRef],
                     found: Mapping[int, set[str]]) -> list[Recurrence]:
    """Current fingerprints that an earlier run found and a later run no longer found (RC04).

    `timeline` is the unit's earlier runs in order, `found` the fingerprints each of them found.
    """
    out: list[Recurrence] = []
    for fp in dict.fromkeys(current):
        present = [fp in found.get(run.id, ()) for run in timeline] + [True]
        try:
            first = present.index(True)
        except ValueError:
            continue
        if first == len(timeline):
            continue        # only found now
        gaps = [i for i in range(first + 1, len(timeline)) if not present[i]]
        if not gaps:
            continue
        times = sum(1 for i in gaps if present[i + 1])
        out.append(Recurrence(unit, fp, timeline[first], timeline[gaps[-1]], times))
    return out


def closure_confirmed(fingerprint: str, closed_on: dt.date, timeline: Sequence[RunRef],
                      found: Mapping[int, set[str]]) -> bool:
    """True when a run as of the closure date or later no longer found the finding (the 销号 held)."""
    return any(run.as_of >= closed_on and fingerprint not in found.get(run.id, ()) for run in timeline)


def totals(diffs: Iterable[UnitDiff]) -> dict[str, int]:
    """Counts over all units: new, persisting, resolved, units compared and units checked for the first time."""
    out = {NEW: 0, PERSISTING: 0, RESOLVED: 0, "units_compared": 0, "units_first_check": 0}
    for d in diffs:
        out[NEW] += len(d.new)
        out[PERSISTING] += len(d.persisting)
        out[RESOLVED] += len(d.resolved)
        out["units_first_check" if d.previous is None else "units_compared"] += 1
    return out
