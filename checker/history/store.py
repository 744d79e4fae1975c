"""Reading and writing the run history (SQLAlchemy Core over the models of `models.py`).

Every function takes a Connection inside a transaction opened by `Database.transaction`; callers
decide what belongs to one transaction (a run is stored in one, an import in one).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from checker.errors import UsageError

from checker.history.diff import FindingBrief, RunRef
from checker.history.models import LedgerEvent, LedgerImport, LedgerItem, Run, RunFinding, RunUnit
from checker.history.rectification import ItemState

CHUNK = 500          # bound on IN-lists (SQLite allows 32766 variables; PostgreSQL 65535)
T = TypeVar("T")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`values` in lists of at most `size`."""
    batch: list[T] = []
    for v in values:
        batch.append(v)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def now() -> dt.datetime:
    """The current time with the local offset (what `recorded_at`/`updated_at` store)."""
    return dt.datetime.now().astimezone()


# ---------------------------------------------------------------------------------------------
# Runs

def run_ref(row: Any) -> RunRef:
    """A RunRef from a row with id, uid, as_of, started."""
    return RunRef(row.id, row.uid, row.as_of, row.started)


def _before(as_of: dt.date, run_id: int | None) -> Any:
    """Runs ordered before (as_of, run_id); with run_id None every stored run up to as_of."""
    if run_id is None:
        return Run.as_of <= as_of
    return or_(Run.as_of < as_of, and_(Run.as_of == as_of, Run.id < run_id))


def unit_timelines(conn: Connection, pack_id: str, unit_ids: Sequence[str], as_of: dt.date,
                   before_run: int | None = None) -> dict[str, list[RunRef]]:
    """For each unit, the earlier runs of `pack_id` that checked it, oldest first."""
    out: dict[str, list[RunRef]] = {u: [] for u in unit_ids}
    for batch in chunks(unit_ids):
        rows = conn.execute(
            select(RunUnit.unit_id, Run.id, Run.uid, Run.as_of, Run.started)
            .join(Run, Run.id == RunUnit.run_id)
            .where(RunUnit.unit_id.in_(batch), RunUnit.status == "checked", Run.pack_id == pack_id,
                   _before(as_of, before_run))
            .order_by(Run.as_of, Run.id))
        for row in rows:
            out[row.unit_id].append(run_ref(row))
    return out


def found_by_run(conn: Connection, timelines: Mapping[str, Sequence[RunRef]]) -> dict[str, dict[int, set[str]]]:
    """For each unit, the fingerprints each run of its timeline found."""
    out: dict[str, dict[int, set[str]]] = {u: {r.id: set() for r in runs} for u, runs in timelines.items()}
    units = [u for u, runs in timelines.items() if runs]
    for batch in chunks(units):
        rows = conn.execute(select(RunFinding.unit_id, RunFinding.run_id, RunFinding.fingerprint)
                            .where(RunFinding.unit_id.in_(batch)))
        for row in rows:
            per_run = out[row.unit_id]
            if row.run_id in per_run:
                per_run[row.run_id].add(row.fingerprint)
    return out


def run_findings(conn: Connection, run_id: int, unit_ids: Sequence[str] | None = None) -> dict[str, dict[str, FindingBrief]]:
    """The findings of one run by unit and fingerprint (all units, or those given)."""
    out: dict[str, dict[str, FindingBrief]] = defaultdict(dict)
    query = select(RunFinding.unit_id, RunFinding.fingerprint, RunFinding.rule, RunFinding.title, RunFinding.severity,
                   RunFinding.item, RunFinding.message).where(RunFinding.run_id == run_id).order_by(RunFinding.id)
    batches: Iterable[list[str] | None] = chunks(unit_ids) if unit_ids is not None else [None]
    for batch in batches:
        q = query if batch is None else query.where(RunFinding.unit_id.in_(batch))
        for row in conn.execute(q):
            out[row.unit_id][row.fingerprint] = FindingBrief(row.fingerprint, row.rule, row.title, row.severity,
                                                             row.item, row.message)
    return dict(out)


@dataclass(frozen=True)
class RunSummary:
    """A stored run as `pbcheck history` lists it."""

    ref: RunRef
    pack_id: str
    pack_version: str
    units_checked: int
    units_failed_validation: int
    findings_open: int
    findings_total: int
    diff_totals: Mapping[str, int]
    inputs: Sequence[str]
    recorded_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        """The run as `pbcheck history --json` prints it."""
        return {**self.ref.to_json(), "started": self.ref.started, "pack": {"id": self.pack_id, "version": self.pack_version},
                "units_checked": self.units_checked, "units_failed_validation": self.units_failed_validation,
                "findings_open": self.findings_open, "findings_total": self.findings_total,
                "diff": dict(self.diff_totals), "inputs": list(self.inputs)}


def _summary(row: Any) -> RunSummary:
    return RunSummary(run_ref(row), row.pack_id, row.pack_version, row.units_checked, row.units_failed_validation,
                      row.findings_open, row.findings_total, row.diff_totals or {}, row.inputs or [], row.recorded_at)


def list_runs(conn: Connection, unit: str | None = None, limit: int | None = None) -> list[RunSummary]:
    """Stored runs, newest first (by as-of date, then record number); optionally only those that checked `unit`."""
    query = select(Run).order_by(Run.as_of.desc(), Run.id.desc())
    if unit is not None:
        query = query.where(Run.id.in_(select(RunUnit.run_id).where(RunUnit.unit_id == unit)))
    if limit:
        query = query.limit(limit)
    return [_summary(r) for r in conn.execute(query)]


def find_run(conn: Connection, reference: str | None) -> RunSummary:
    """The run a user names: its 编号 (digits), its run id or a unique prefix of it; None: the latest recorded."""
    if reference is None or reference.strip().lower() == "latest":
        row = conn.execute(select(Run).order_by(Run.id.desc()).limit(1)).first()
        if row is None:
            raise UsageError("运行历史中还没有任何运行记录（先用 pbcheck run 检查一次）")
        return _summary(row)
    ref = reference.strip()
    if ref.isdigit():
        row = conn.execute(select(Run).where(Run.id == int(ref))).first()
        if row is None:
            raise UsageError(f"运行历史中没有编号为 {ref} 的运行（用 pbcheck history 查看）")
        return _summary(row)
    if len(ref) < 4:
        raise UsageError(f"运行 ID 至少要写 4 位：{ref}")
    rows = conn.execute(select(Run).where(Run.uid.like(ref.lower() + "%")).limit(2)).all()
    if not rows:
        raise UsageError(f"运行历史中没有 ID 为 {ref} 的运行（用 pbcheck history 查看）")
    if len(rows) > 1:
        raise UsageError(f"运行 ID 前缀 {ref} 对应多次运行，请多写几位")
    return _summary(rows[0])


def run_units(conn: Connection, run_id: int) -> dict[str, dict[str, Any]]:
    """The units of one run: unit id -> {name, status, period}."""
    rows = conn.execute(select(RunUnit.unit_id, RunUnit.name, RunUnit.status, RunUnit.period)
                        .where(RunUnit.run_id == run_id).order_by(RunUnit.unit_id))
    return {r.unit_id: {"name": r.name, "status": r.status, "period": r.period} for r in rows}


# ---------------------------------------------------------------------------------------------
# Storing a run

@dataclass
class StoredFinding:
    """A finding of the run being stored, with the ledger cells it was issued with (if a ledger was written)."""

    unit: str
    data: dict[str, Any]           # Finding.to_json()
    ledger_cells: dict[str, Any] | None = None


def store_run(conn: Connection, run: dict[str, Any], units: Sequence[dict[str, Any]],
              findings: Sequence[StoredFinding], reopen: set[str]) -> int:
    """Insert one run with its units and findings; create ledger items for new open findings, reopen recurring ones.

    `run` holds the Run columns except id; `units` the RunUnit columns except run_id. Returns the 编号.
    """
    stamp = now()
    run_id = conn.execute(insert(Run).values(recorded_at=stamp, **run).returning(Run.id)).scalar_one()
    if units:
        conn.execute(insert(RunUnit), [{**u, "run_id": run_id} for u in units])
    rows = []
    for f in findings:
        d = f.data
        rows.append({"run_id": run_id, "unit_id": f.unit, "fingerprint": d["fingerprint"], "rule": d["rule"],
                     "severity": d["severity"], "title": d["title"], "item": d.get("item"), "status": d["status"],
                     "deadline": _date(d.get("deadline")), "message": d.get("message") or "", "data": d,
                     "ledger_cells": f.ledger_cells})
    if rows:
        conn.execute(insert(RunFinding), rows)
    _track_items(conn, run_id, run["as_of"], findings, reopen, stamp)
    return run_id


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _insert_ignoring_duplicates(conn: Connection, table: Any, rows: list[dict[str, Any]], key: str) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=[key]), rows)


def _track_items(conn: Connection, run_id: int, as_of: dt.date, findings: Sequence[StoredFinding],
                 reopen: set[str], stamp: dt.datetime) -> None:
    open_findings = {f.data["fingerprint"]: f for f in findings if f.data["status"] == "open"}
    if not open_findings:
        return
    existing: dict[str, str] = {}
    for batch in chunks(open_findings):
        for row in conn.execute(select(LedgerItem.fingerprint, LedgerItem.status)
                                .where(LedgerItem.fingerprint.in_(batch))):
            existing[row.fingerprint] = row.status
    fresh = []
    events = []
    for fp, f in open_findings.items():
        d = f.data
        deadline = _date(d["deadline"])
        if fp not in existing:
            fresh.append({"fingerprint": fp, "unit_id": f.unit, "rule": d["rule"], "title": d["title"],
                          "item": d.get("item"), "severity": d["severity"], "first_run_id": run_id,
                          "issued_on": as_of, "deadline": deadline, "status": "未启动", "updated_at": stamp})
            events.append({"fingerprint": fp, "kind": "issued", "at": stamp, "as_of": as_of, "run_id": run_id,
                           "old_status": None, "new_status": "未启动", "changes": {"整改时限": [None, deadline.isoformat()]}})
        elif fp in reopen:
            conn.execute(update(LedgerItem).where(LedgerItem.fingerprint == fp).values(
                status="未启动", deadline=deadline, issued_on=as_of, closed_on=None, updated_at=stamp))
            events.append({"fingerprint": fp, "kind": "reopened", "at": stamp, "as_of": as_of, "run_id": run_id,
                           "old_status": existing[fp], "new_status": "未启动",
                           "changes": {"整改时限": [None, deadline.isoformat()], "说明": "已销号问题复发，重新整改"}})
    if fresh:
        _insert_ignoring_duplicates(conn, LedgerItem, fresh, "fingerprint")
    if events:
        conn.execute(insert(LedgerEvent), events)


# ---------------------------------------------------------------------------------------------
# Ledger items

def item_state(row: Any) -> ItemState:
    """An ItemState from a LedgerItem row."""
    return ItemState(row.fingerprint, row.unit_id, row.status, row.deadline, row.issued_on, row.closed_on,
                     row.measures, row.responsible_unit, row.responsible_person, row.progress, row.evidence,
                     row.reviewer, row.reported_on)


def ledger_items(conn: Connection, fingerprints: Iterable[str]) -> dict[str, ItemState]:
    """The ledger items of these fingerprints (those that exist)."""
    out: dict[str, ItemState] = {}
    for batch in chunks(dict.fromkeys(fingerprints)):
        for row in conn.execute(select(LedgerItem).where(LedgerItem.fingerprint.in_(batch))):
            out[row.fingerprint] = item_state(row)
    return out


def ledger_rows(conn: Connection, fingerprints: Iterable[str]) -> dict[str, Any]:
    """The full LedgerItem rows of these fingerprints (those that exist)."""
    out: dict[str, Any] = {}
    for batch in chunks(dict.fromkeys(fingerprints)):
        for row in conn.execute(select(LedgerItem).where(LedgerItem.fingerprint.in_(batch))):
            out[row.fingerprint] = row
    return out


@dataclass
class IssuedVersion:
    """How a finding was issued by one run: its unit, deadline, message and the locked ledger cells."""

    run_id: int
    unit: str
    unit_name: str
    rule: str
    title: str
    deadline: dt.date | None
    message: str
    status: str
    ledger_cells: Mapping[str, Any] | None


def issued_versions(conn: Connection, fingerprints: Iterable[str]) -> dict[str, list[IssuedVersion]]:
    """Every stored version of these findings, oldest run first."""
    out: dict[str, list[IssuedVersion]] = defaultdict(list)
    for batch in chunks(dict.fromkeys(fingerprints)):
        rows = conn.execute(
            select(RunFinding.fingerprint, RunFinding.run_id, RunFinding.unit_id, RunUnit.name, RunFinding.rule,
                   RunFinding.title, RunFinding.deadline, RunFinding.message, RunFinding.status, RunFinding.ledger_cells)
            .join(RunUnit, and_(RunUnit.run_id == RunFinding.run_id, RunUnit.unit_id == RunFinding.unit_id))
            .where(RunFinding.fingerprint.in_(batch)).order_by(RunFinding.run_id))
        for r in rows:
            out[r.fingerprint].append(IssuedVersion(r.run_id, r.unit_id, r.name, r.rule, r.title, r.deadline,
                                                    r.message, r.status, r.ledger_cells))
    return dict(out)


def record_import(conn: Connection, as_of: dt.date, files: Sequence[str], rows: int, changes: Sequence[dict[str, Any]]) -> int:
    """Apply validated ledger changes: update the items, add one status event per changed item; returns the import id."""
    stamp = now()
    import_id = conn.execute(insert(LedgerImport).values(imported_at=stamp, as_of=as_of, files=list(files), rows=rows,
                                                         changed=len(changes)).returning(LedgerImport.id)).scalar_one()
    events = []
    for change in changes:
        conn.execute(update(LedgerItem).where(LedgerItem.fingerprint == change["fingerprint"])
                     .values(updated_at=stamp, reported_on=as_of, **change["values"]))
        events.append({"fingerprint": change["fingerprint"], "kind": "import", "at": stamp, "as_of": as_of,
                       "import_id": import_id, "old_status": change["old_status"], "new_status": change["new_status"],
                       "changes": change["changes"], "source": change["source"]})
    if events:
        conn.execute(insert(LedgerEvent), events)
    return import_id


def item_events(conn: Connection, fingerprint: str) -> list[dict[str, Any]]:
    """The status history of one ledger item, oldest first."""
    rows = conn.execute(select(LedgerEvent).where(LedgerEvent.fingerprint == fingerprint).order_by(LedgerEvent.id))
    return [{"kind": r.kind, "at": r.at, "as_of": r.as_of, "old_status": r.old_status, "new_status": r.new_status,
             "changes": r.changes, "source": r.source, "run_id": r.run_id, "import_id": r.import_id} for r in rows]


def open_ledger_rows(conn: Connection, unit: str | None = None) -> list[Any]:
    """Ledger items to consider for `pbcheck status` (all of a unit, or all), ordered by deadline."""
    query = select(LedgerItem).order_by(LedgerItem.deadline, LedgerItem.unit_id, LedgerItem.rule)
    if unit is not None:
        query = query.where(LedgerItem.unit_id == unit)
    return list(conn.execute(query))


def pack_of_run(conn: Connection, run_id: int) -> str:
    """The pack id of a stored run."""
    return conn.execute(select(Run.pack_id).where(Run.id == run_id)).scalar_one()


def latest_unit_names(conn: Connection, unit_ids: Iterable[str]) -> dict[str, str]:
    """The name each unit had in the latest run that saw it."""
    out: dict[str, str] = {}
    for batch in chunks(dict.fromkeys(unit_ids)):
        rows = conn.execute(select(RunUnit.unit_id, RunUnit.name).where(RunUnit.unit_id.in_(batch))
                            .order_by(RunUnit.run_id))
        for r in rows:
            out[r.unit_id] = r.name
    return out


def count_runs(conn: Connection) -> int:
    """How many runs are stored."""
    return conn.execute(select(func.count()).select_from(Run)).scalar_one()
