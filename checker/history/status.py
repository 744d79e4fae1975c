"""`pbcheck status`: the rectification items still open, with days left or days overdue.

Open means: a status other than 已销号 / 长期坚持, or 已销号 while the latest run of the unit as of
the closure date or later still found the problem (虚假销号). Each item also says whether the
latest run of its unit still found it (仍存在 / 未再发现), which tells auditors where a 销号
application can be expected.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from checker.history import store
from checker.history.rectification import CLOSED, is_open, days_left, status_label

STILL_FOUND = "仍存在"
NOT_FOUND = "未再发现"


@dataclass(frozen=True)
class OpenItem:
    """One open rectification item as `pbcheck status` lists it."""

    fingerprint: str
    unit: str
    unit_name: str
    rule: str
    title: str
    item: str | None
    severity: str
    status: str
    label: str
    deadline: dt.date
    days_left: int
    overdue: bool
    false_closure: bool
    latest_check: str | None       # 仍存在 | 未再发现 | None (the unit was not checked since it was issued)
    latest_run: str | None         # run id of that check

    def to_json(self) -> dict[str, Any]:
        """The item as `pbcheck status --json` prints it."""
        return {"fingerprint": self.fingerprint, "unit": self.unit, "name": self.unit_name, "rule": self.rule,
                "title": self.title, "item": self.item, "severity": self.severity, "status": self.status,
                "label": self.label, "deadline": self.deadline.isoformat(), "days_left": self.days_left,
                "overdue": self.overdue, "false_closure": self.false_closure, "latest_check": self.latest_check,
                "latest_run": self.latest_run}


def open_items(conn: Connection, as_of: dt.date, unit: str | None = None, overdue_only: bool = False) -> list[OpenItem]:
    """Open items (of one unit, or all), most urgent first; only overdue ones with `overdue_only`."""
    rows = store.open_ledger_rows(conn, unit)
    if not rows:
        return []
    packs: dict[int, str] = {}
    units_by_pack: dict[str, set[str]] = {}
    for row in rows:
        pack = packs.setdefault(row.first_run_id, store.pack_of_run(conn, row.first_run_id))
        units_by_pack.setdefault(pack, set()).add(row.unit_id)
    timelines: dict[tuple[str, str], list[store.RunRef]] = {}
    found: dict[tuple[str, str], dict[int, set[str]]] = {}
    for pack, units in units_by_pack.items():
        lines = store.unit_timelines(conn, pack, sorted(units), dt.date.max)
        per_unit = store.found_by_run(conn, lines)
        for u in units:
            timelines[(pack, u)] = lines[u]
            found[(pack, u)] = per_unit[u]
    names = store.latest_unit_names(conn, {r.unit_id for r in rows})
    out: list[OpenItem] = []
    for row in rows:
        key = (packs[row.first_run_id], row.unit_id)
        runs = timelines[key]
        rechecks = [r for r in runs if r.id != row.first_run_id and r.as_of >= row.issued_on]
        latest = rechecks[-1] if rechecks else None
        still = None if latest is None else row.fingerprint in found[key].get(latest.id, set())
        false_closure = False
        if row.status == CLOSED:
            closed_on = row.closed_on or row.reported_on or row.issued_on
            after = [r for r in runs if r.as_of >= closed_on]
            false_closure = bool(after) and all(row.fingerprint in found[key].get(r.id, set()) for r in after)
        if not is_open(row.status) and not false_closure:
            continue
        overdue = row.deadline < as_of
        if overdue_only and not overdue:
            continue
        out.append(OpenItem(row.fingerprint, row.unit_id, names.get(row.unit_id, ""), row.rule, row.title, row.item,
                            row.severity, row.status, status_label(row.status, overdue, false_closure), row.deadline,
                            days_left(row.deadline, as_of), overdue, false_closure,
                            None if still is None else (STILL_FOUND if still else NOT_FOUND),
                            latest.uid if latest else None))
    out.sort(key=lambda i: (i.days_left, i.unit, i.rule))
    return out
