"""Comparisons between stored runs for `pbcheck diff` (the run itself compares in `step.py`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from checker.history import store
from checker.history.diff import FindingBrief, UnitDiff, compare_unit, totals


@dataclass
class RunComparison:
    """A run compared with an earlier one (or, per unit, with each unit's previous run)."""

    run: store.RunSummary
    base: store.RunSummary | None              # None: each unit against its own previous run
    units: list[UnitDiff]
    briefs: dict[str, FindingBrief]            # the compared run's findings by fingerprint
    only_in_base: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """New / persisting / resolved over all units."""
        return totals(self.units)

    def to_json(self) -> dict[str, Any]:
        """The comparison as `pbcheck diff --json` prints it."""
        return {"run": self.run.to_json(), "base": self.base.to_json() if self.base else None,
                "totals": self.totals(), "units": [u.to_json() for u in self.units],
                "only_in_base": list(self.only_in_base),
                "findings": {fp: b.to_json() for fp, b in self.briefs.items()}}


def _checked(units: dict[str, dict[str, Any]]) -> list[str]:
    return [u for u, info in units.items() if info["status"] == "checked"]


def compare_runs(conn: Connection, base: store.RunSummary, run: store.RunSummary, unit: str | None = None) -> RunComparison:
    """`run` against `base` for the units both checked (units only `run` checked count as first checks)."""
    run_units = store.run_units(conn, run.ref.id)
    base_units = store.run_units(conn, base.ref.id)
    wanted = _checked(run_units)
    if unit is not None:
        wanted = [u for u in wanted if u == unit]
    now = store.run_findings(conn, run.ref.id, wanted)
    before = store.run_findings(conn, base.ref.id, wanted)
    base_checked = set(_checked(base_units))
    diffs = []
    briefs: dict[str, FindingBrief] = {}
    for u in wanted:
        current = now.get(u, {})
        briefs.update(current)
        previous = base.ref if u in base_checked else None
        diffs.append(compare_unit(u, run_units[u]["name"], list(current), previous, before.get(u, {})))
    only = [u for u in _checked(base_units) if u not in run_units and (unit is None or u == unit)]
    return RunComparison(run, base, diffs, briefs, only)


def compare_with_previous(conn: Connection, run: store.RunSummary, unit: str | None = None) -> RunComparison:
    """`run` against each unit's previous run of the same pack (what the run itself reported)."""
    run_units = store.run_units(conn, run.ref.id)
    wanted = _checked(run_units)
    if unit is not None:
        wanted = [u for u in wanted if u == unit]
    timelines = store.unit_timelines(conn, run.pack_id, wanted, run.ref.as_of, before_run=run.ref.id)
    now = store.run_findings(conn, run.ref.id, wanted)
    previous: dict[str, dict[str, FindingBrief]] = {}
    by_prev: dict[int, list[str]] = {}
    for u, runs in timelines.items():
        if runs:
            by_prev.setdefault(runs[-1].id, []).append(u)
    for run_id, units in by_prev.items():
        previous.update(store.run_findings(conn, run_id, units))
    diffs = []
    briefs: dict[str, FindingBrief] = {}
    for u in wanted:
        current = now.get(u, {})
        briefs.update(current)
        runs = timelines.get(u) or []
        diffs.append(compare_unit(u, run_units[u]["name"], list(current), runs[-1] if runs else None,
                                  previous.get(u, {})))
    return RunComparison(run, None, diffs, briefs)
