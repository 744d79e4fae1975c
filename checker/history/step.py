"""The run's history steps: compare with earlier runs before the outputs, record the run after them.

`compare_with_history` (the history step's `apply`, checker.pipeline.steps) reads the history, adds the RC04 findings, gives
persisting findings their original 整改时限, and fills `RunState.extras` (shapes in
`checker.history`); `record_in_history` (its `after_write`) stores the run once its outputs are
written, so a run whose reports failed never becomes the "previous run" of the next one.
Both do nothing when the run has no history database (`RunOptions.db` None, `--no-history`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from checker import render
from checker.errors import UsageError
from checker.findings import FIRED, PASSED, Finding, RunInfo, UnitResult, fingerprint, make_finding

from checker.history.diff import RECURRENCE_RULE, FindingBrief, Recurrence, RunRef, compare_unit, find_recurrences, totals

if TYPE_CHECKING:
    from checker.engine.compile import CompiledPack
    from checker.pipeline.state import RunState

    from checker.history.database import Database

PLAN_KEY = "_history_plan"
LEDGER_FILE = "ledger.xlsx"


@dataclass
class HistoryPlan:
    """What the compare step found, handed to the record step."""

    db: "Database"
    uid: str
    reopen: set[str] = field(default_factory=set)
    diff_totals: dict[str, int] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


def new_run_uid() -> str:
    """A fresh run id: 12 hex digits."""
    return uuid.uuid4().hex[:12]


def compare_with_history(state: "RunState") -> "RunState":
    """Diff with each unit's previous run, RC04 recurrences and rectification status, into `state`."""
    spec = getattr(state.options, "db", None)
    if not spec:
        return state
    from checker.history.database import open_database
    try:
        db = open_database(spec)
    except UsageError as exc:
        raise UsageError(f"{exc}（可加 --no-history 不使用运行历史）", exc.problems) from None
    plan = HistoryPlan(db, new_run_uid())
    plan.digests = source_digests([r.source for r in state.results] + [i.source for i in state.invalid])
    checked = [r for r in state.results if r.status == "checked"]
    past = _read_past(db, state.compiled.pack.id, [r.unit for r in checked], state.as_of)
    rc04 = _recurrence_rule(state.compiled)
    judged: dict[int, tuple[list[Finding], dict[str, str]]] = {}
    for result in checked:
        findings, checks = list(result.findings), dict(result.checks)
        timeline = past.timelines.get(result.unit, [])
        if rc04 is not None and timeline:
            new = _recurrences(state, result, timeline, past.found.get(result.unit, {}))
            findings.extend(new)
            checks[RECURRENCE_RULE] = FIRED if new else PASSED
        judged[id(result)] = (findings, checks)
    from checker.history import store
    with db.transaction() as conn:     # after RC04: a recurrence that persists has its own ledger item
        items = store.ledger_items(conn, (f.fingerprint for findings, _ in judged.values() for f in findings))

    results: list[UnitResult] = []
    rectification: dict[str, dict[str, Any]] = {}
    diffs = []
    for result in state.results:
        if id(result) not in judged:
            results.append(result)
            continue
        findings, checks = judged[id(result)]
        timeline = past.timelines.get(result.unit, [])
        updated = [_with_rectification(f, items, state.as_of, timeline, past.found.get(result.unit, {}),
                                       rectification, plan) for f in findings]
        results.append(dataclasses.replace(result, findings=tuple(updated), checks=checks))
        diffs.append(compare_unit(result.unit, result.name, [f.fingerprint for f in updated],
                                  timeline[-1] if timeline else None, past.previous.get(result.unit, {})))
    state.results = results
    plan.diff_totals = totals(diffs)
    change_of = {fp: kind for d in diffs for kind, fps in (("new", d.new), ("persisting", d.persisting)) for fp in fps}
    state.extras["diff"] = {"run": plan.uid, "db": db.shown, "totals": dict(plan.diff_totals),
                            "units": [d.to_json() for d in diffs], "findings": change_of}
    state.extras["rectification"] = rectification
    state.extras["history"] = {"run": plan.uid, "db": db.shown}
    state.extras[PLAN_KEY] = plan
    return state


@dataclass
class _Past:
    """What the history holds for the units of this run."""

    timelines: dict[str, list[RunRef]]                  # earlier runs of the same pack that checked each unit
    found: dict[str, dict[int, set[str]]]               # fingerprints each of those runs found
    previous: dict[str, dict[str, FindingBrief]]        # the findings of each unit's previous run


def _read_past(db: "Database", pack_id: str, unit_ids: list[str], as_of: dt.date) -> _Past:
    from checker.history import store
    with db.transaction() as conn:
        timelines = store.unit_timelines(conn, pack_id, unit_ids, as_of)
        found = store.found_by_run(conn, timelines)
        by_prev_run: dict[int, list[str]] = {}
        for unit, runs in timelines.items():
            if runs:
                by_prev_run.setdefault(runs[-1].id, []).append(unit)
        previous: dict[str, dict[str, FindingBrief]] = {}
        for run_id, units in by_prev_run.items():
            previous.update(store.run_findings(conn, run_id, units))
    return _Past(timelines, found, previous)


def _recurrences(state: "RunState", result: UnitResult, timeline: list[RunRef],
                 found: dict[int, set[str]]) -> list[Finding]:
    """The RC04 findings of one unit."""
    # Composites are diagnoses over the other findings (keyed by them): those recur, not the diagnosis.
    current = [f for f in result.findings if f.rule != RECURRENCE_RULE and not f.composite]
    by_fp = {f.fingerprint: f for f in current}
    return [_rc04_finding(state.compiled, result, rec, by_fp[rec.fingerprint], state.as_of)
            for rec in find_recurrences(result.unit, list(by_fp), timeline, found)]


def _with_rectification(f: Finding, items: dict[str, Any], as_of: dt.date, timeline: list[RunRef],
                        found: dict[int, set[str]], out: dict[str, dict[str, Any]], plan: HistoryPlan) -> Finding:
    """Judge one finding's rectification status into `out`; the finding with the deadline it carries."""
    from checker.history.rectification import judge
    judgement = judge(f.fingerprint, dt.date.fromisoformat(f.deadline), items.get(f.fingerprint), as_of, timeline, found)
    out[f.fingerprint] = judgement.entry
    if judgement.reopen:
        plan.reopen.add(f.fingerprint)
    if judgement.deadline.isoformat() != f.deadline:
        return dataclasses.replace(f, deadline=judgement.deadline.isoformat())
    return f


def record_in_history(state: "RunState", run: RunInfo, written: Sequence[Path]) -> None:
    """Store the run (units, findings, the ledger cells as issued) in the history database."""
    plan = state.extras.get(PLAN_KEY)
    if plan is None:
        return
    from checker.history import store
    cells = issued_ledger_cells(written)
    findings = [store.StoredFinding(r.unit, f.to_json(), cells.get(f.fingerprint))
                for r in state.results if r.status == "checked" for f in r.findings]
    units = [{"unit_id": r.unit, "name": r.name or "", "parent": r.parent, "org_type": r.org_type, "period": r.period,
              "source": r.source, "source_digest": plan.digests.get(r.source), "status": r.status,
              "checks": dict(r.checks), "integration_index": r.index.to_json() if r.index is not None else None}
             for r in state.results]
    seen = {u["unit_id"] for u in units}
    for inv in state.invalid:
        unit_id = inv.unit_id or f"<{inv.source}>"
        if unit_id in seen:
            continue
        seen.add(unit_id)
        units.append({"unit_id": unit_id, "name": inv.name or "", "parent": inv.parent, "org_type": None, "period": "",
                      "source": inv.source, "source_digest": plan.digests.get(inv.source), "status": "invalid",
                      "checks": {}, "integration_index": None})
    row = {"uid": plan.uid, "started": run.started, "as_of": state.as_of, "pack_id": run.pack_id,
           "pack_version": run.pack_version, "pack_title": run.pack_title, "tool_version": run.tool_version,
           "params": dict(run.params), "inputs": list(run.inputs), "input_digests": plan.digests,
           "units_checked": run.units_checked, "units_failed_validation": run.units_failed_validation,
           "findings_open": sum(1 for f in findings if f.data["status"] == "open"), "findings_total": len(findings),
           "diff_totals": plan.diff_totals, "out_dir": str(Path(state.options.out_dir).resolve())}
    try:
        with plan.db.transaction(write=True) as conn:
            store.store_run(conn, row, units, findings, plan.reopen)
    except UsageError as exc:
        raise UsageError(f"检查结果已写入 {state.options.out_dir}，但未能存入运行历史：{exc}", exc.problems) from None
    finally:
        plan.db.dispose()


def issued_ledger_cells(written: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Each row of the ledger.xlsx the run wrote, as issued: {"cells": {column: text}, "locked": [column…]}."""
    from checker.history.ledger_sheet import LedgerReadError, issued_cells, read_ledger
    path = next((p for p in written if p.name == LEDGER_FILE and p.parent.name != "ledgers"), None)
    if path is None or not path.is_file():
        return {}
    try:
        sheets = read_ledger(path)
    except LedgerReadError:
        return {}
    return {key: cells for sheet in sheets for key, cells in issued_cells(sheet).items()}


def source_digests(sources: Sequence[str]) -> dict[str, str]:
    """SHA-256 of each input file that still exists (by the name the run showed)."""
    out: dict[str, str] = {}
    for source in dict.fromkeys(sources):
        path = Path(source)
        if not path.is_file():
            path = Path(source.split(" › ")[0])       # a workbook's unit is shown as file › sheet › row
            if not path.is_file():
                continue
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out[source] = digest.hexdigest()
    return out


def _recurrence_rule(compiled: "CompiledPack") -> Any:
    for rule in compiled.rules:
        if rule.id == RECURRENCE_RULE and rule.spec.history:
            return rule
    return None


def _rc04_finding(compiled: "CompiledPack", result: UnitResult, rec: Recurrence, original: Finding,
                  as_of: dt.date) -> Finding:
    """The RC04 finding of one recurrence, its text rendered from the pack."""
    from checker.inputs.period import Period
    rule = compiled.rule(RECURRENCE_RULE)
    spec = rule.spec
    values = {"rule": original.rule, "title": original.title, "item": original.item, "fingerprint": rec.fingerprint,
              "first_run": rec.first_run.as_of.isoformat(), "first_run_id": rec.first_run.uid,
              "resolved_run": rec.resolved_run.as_of.isoformat(), "resolved_run_id": rec.resolved_run.uid,
              "times": rec.times}
    period: dict[str, Any] = {}
    if "/" in result.period:
        start, end = result.period.split("/", 1)
        period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end)).as_dict()
    context = {"unit": {"unit_id": result.unit, "name": result.name, "parent": result.parent,
                        "org_type": result.org_type},
               "item": None, "parent": None, "params": compiled.params, "values": values, "period": period}
    message = _render(rule.message, spec.message, context)
    remedy = _render(rule.remedy, spec.remedy, context)
    evidence = (_run_evidence(rec.first_run, "首次发现"), _run_evidence(rec.resolved_run, "复查未发现（已整改）"),
                {"kind": "finding", "key": rec.fingerprint, "rule": original.rule, "title": original.title,
                 "item": original.item})
    keys = [str(e["key"]) for e in evidence]
    return make_finding(spec, unit=result.unit, period=result.period, message=message, remedy=remedy,
                        evidence=evidence, evidence_keys=keys, as_of=as_of, severities=compiled.pack.severities,
                        item=f"{original.rule}:{original.item or original.unit}")


def _run_evidence(run: RunRef, role: str) -> dict[str, Any]:
    return {"kind": "run", "key": run.uid, "as_of": run.as_of.isoformat(), "seq": run.id, "role": role}


def _render(template: Any, text: Any, context: dict[str, Any]) -> str:
    if template is None:
        return ""
    return render.render(template, context, file=text.file, line=text.location().line).strip()
