"""`pbcheck ledger import`: read back the 整改台账 units filled in, validate every change, store it.

Rows are matched to ledger items by 问题编号 (the finding's fingerprint); columns by header name.
The import is all or nothing: every problem of every file is reported (file › sheet › row ›
column) and nothing is stored while any remains. Rules:
- the 问题编号 must be one the history issued; a combined ledger and a unit's own file may both
  carry a row, but then with the same content;
- the checker's (locked) cells must be as issued: compared with the ledger.xlsx the run wrote
  (its cells and its locks are stored with the run) or, for findings no stored ledger carries,
  with the stored finding (unit, rule, description, 整改时限);
- 状态 is one of 未启动 整改中 申请销号 已销号 超期 长期坚持; 已销号 needs 佐证材料 and a 销号日期 that is
  neither before the problem was issued nor after the as-of date; a 销号日期 belongs only to
  已销号 or 申请销号;
- a cell left empty, or left as the ledger was issued (e.g. the pre-filled 整改措施), reports
  nothing and never erases what an earlier import stored;
- 整改时限 is set by the inspection: a unit's change to it (where the sheet leaves it editable)
  is not taken over and is listed as a notice; rows of waived findings need no filling.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from checker.errors import LedgerError, Problem, UsageError

from checker.history import store
from checker.history.database import Database
from checker.history.ledger_sheet import EDITABLE, KEY, LedgerReadError, LedgerRow, LedgerSheet, parse_date, read_ledger
from checker.history.rectification import CLOSED, CLOSURE_REQUESTED, STATUSES

NO_EVIDENCE = {"", "无", "暂无", "没有", "-", "--", "—", "——", "/", "／", "n/a", "na", "none", "null"}
DEADLINE = "整改时限"
TEXT_FIELDS = {column: name for column, name in EDITABLE.items() if column not in ("状态", "销号日期")}


@dataclass
class ImportReport:
    """What an import did: rows read, items changed (with their changes), counts by new status, notices."""

    files: list[str]
    rows: int
    changed: int
    unchanged: int
    import_id: int | None
    by_status: Counter = field(default_factory=Counter)
    changes: list[dict[str, Any]] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)


@dataclass
class _Seen:
    sheet: LedgerSheet
    row: LedgerRow
    reported: dict[str, str]


@dataclass
class _Context:
    items: Mapping[str, Any]
    versions: Mapping[str, list[store.IssuedVersion]]
    as_of: dt.date
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    seen: dict[str, _Seen] = field(default_factory=dict)


def import_ledgers(db: Database, paths: Sequence[str], as_of: dt.date) -> ImportReport:
    """Validate and store the ledgers `paths`; LedgerError listing every problem (nothing stored) if any."""
    sheets: list[LedgerSheet] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if not path.is_file():
            raise UsageError(f"找不到台账文件：{given}")
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise UsageError(f"台账文件应为 .xlsx 工作簿：{given}")
        try:
            sheets.extend(read_ledger(path, str(given)))
        except LedgerReadError as exc:
            problems.extend(exc.problems)
    with db.transaction(write=True) as conn:
        keys = {row.text(KEY) for sheet in sheets for row in sheet.rows if row.text(KEY)}
        ctx = _Context(store.ledger_rows(conn, keys), store.issued_versions(conn, keys), as_of, problems)
        changes: list[dict[str, Any]] = []
        rows = 0
        for sheet in sheets:
            for row in sheet.rows:
                rows += 1
                change = _check_row(sheet, row, ctx)
                if change is not None:
                    changes.append(change)
        if problems:
            raise LedgerError(f"台账有 {len(problems)} 处问题，未导入任何内容", problems)
        import_id = store.record_import(conn, as_of, [str(p) for p in paths], rows, changes)
    tracked = sum(1 for key in ctx.seen if key in ctx.items)
    return ImportReport([str(p) for p in paths], rows, len(changes), tracked - len(changes), import_id,
                        Counter(c["new_status"] for c in changes), changes, ctx.notices)


def _issued(versions: Sequence[store.IssuedVersion]) -> list[Mapping[str, Any]]:
    return [v.ledger_cells for v in versions if v.ledger_cells and "cells" in v.ledger_cells]


def _reported(sheet: LedgerSheet, row: LedgerRow, issued: list[Mapping[str, Any]]) -> dict[str, str]:
    """The unit's own entries: editable cells that are neither empty nor as the ledger was issued."""
    out = {}
    for column in EDITABLE:
        if column not in row.values:
            continue
        text = row.text(column)
        if text and not any(s["cells"].get(column) == text for s in issued):
            out[column] = text
    return out


def _check_row(sheet: LedgerSheet, row: LedgerRow, ctx: _Context) -> dict[str, Any] | None:
    key = row.text(KEY)
    where = sheet.location
    problems = ctx.problems
    versions = ctx.versions.get(key, []) if key else []
    issued = _issued(versions)
    reported = _reported(sheet, row, issued)
    if not key:
        if reported:
            problems.append(Problem(where(row.row, KEY), "ledger-no-key",
                                    f"该行填写了{'、'.join(reported)}，但没有{KEY}，无法对应到检查发现的问题（不能在台账中新增行）"))
        return None
    item = ctx.items.get(key)
    if item is None:
        if not versions:
            problems.append(Problem(where(row.row, KEY), "ledger-unknown-key",
                                    f"{KEY} {key} 不在运行历史中（不是本数据库中的检查下发的问题，或编号被改动）"))
        elif reported:
            problems.append(Problem(where(row.row, KEY), "ledger-waived",
                                    f"{KEY} {key} 的问题已批准豁免，不在整改范围内，无需填写{'、'.join(reported)}"))
        return None
    before = len(problems)
    _check_locked(sheet, row, item, versions, issued, ctx)
    first = ctx.seen.get(key)
    if first is not None:
        if first.reported != reported:
            problems.append(Problem(where(row.row, KEY), "ledger-duplicate",
                                    f"{KEY} {key} 在本次导入中出现多次且填报内容不一致（另见 {first.sheet.location(first.row.row)}）"))
        return None
    ctx.seen[key] = _Seen(sheet, row, reported)
    new = _new_values(sheet, row, item, reported, ctx)
    if len(problems) > before or new is None:
        return None
    values = {name: value for name, value in new.items() if value != getattr(item, name)}
    if not values:
        return None
    changed = {col: [_shown(getattr(item, name)), _shown(values[name])] for col, name in EDITABLE.items() if name in values}
    return {"fingerprint": key, "values": values, "old_status": item.status,
            "new_status": values.get("status", item.status), "changes": changed, "source": str(where(row.row)),
            "unit": item.unit_id}


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _new_values(sheet: LedgerSheet, row: LedgerRow, item: Any, reported: dict[str, str],
                ctx: _Context) -> dict[str, Any] | None:
    where = sheet.location
    problems = ctx.problems
    new: dict[str, Any] = {}
    for column, name in TEXT_FIELDS.items():
        if column in reported:
            new[name] = str(row.values[column]).strip()
    status = reported.get("状态")
    if status:
        if status not in STATUSES:
            problems.append(Problem(where(row.row, "状态"), "ledger-status",
                                    f"状态“{status}”无效，应为 {'、'.join(STATUSES)} 之一"))
            return None
        new["status"] = status
    closed_on = None
    if "销号日期" in reported:
        try:
            closed_on = parse_date(row.values.get("销号日期"))
        except ValueError:
            problems.append(Problem(where(row.row, "销号日期"), "ledger-date",
                                    f"销号日期“{reported['销号日期']}”不是日期（应为 2026-03-01 或 2026年3月1日）"))
            return None
        new["closed_on"] = closed_on
    final_status = new.get("status", item.status)
    final_evidence = new.get("evidence", item.evidence)
    if final_status == CLOSED:
        if final_evidence is None or final_evidence.strip().lower() in NO_EVIDENCE:
            problems.append(Problem(where(row.row, "佐证材料"), "ledger-closure-evidence",
                                    "状态为已销号，但没有填写佐证材料（整改报告、会议记录、制度文件等的名称）"))
        if new.get("closed_on", item.closed_on) is None:
            problems.append(Problem(where(row.row, "销号日期"), "ledger-closure-date", "状态为已销号，但没有填写销号日期"))
    if closed_on is not None:
        if final_status not in (CLOSED, CLOSURE_REQUESTED):
            problems.append(Problem(where(row.row, "销号日期"), "ledger-closure-date",
                                    f"状态为“{final_status}”却填写了销号日期，请核对状态或清空销号日期"))
        elif closed_on > ctx.as_of:
            problems.append(Problem(where(row.row, "销号日期"), "ledger-closure-date",
                                    f"销号日期 {closed_on.isoformat()} 晚于导入日期 {ctx.as_of.isoformat()}"))
        elif closed_on < item.issued_on:
            problems.append(Problem(where(row.row, "销号日期"), "ledger-closure-date",
                                    f"销号日期 {closed_on.isoformat()} 早于问题下发日期 {item.issued_on.isoformat()}"))
    return new


def _check_locked(sheet: LedgerSheet, row: LedgerRow, item: Any, versions: list[store.IssuedVersion],
                  issued: list[Mapping[str, Any]], ctx: _Context) -> None:
    """Locked cells must be as issued (an error otherwise); a changed 整改时限 is only a notice."""
    where = sheet.location
    locked = set(issued[-1]["locked"]) if issued else set(sheet.locked)
    locked.discard(KEY)
    columns = sorted((c for c in sheet.columns if c in locked or c == DEADLINE), key=lambda c: sheet.columns[c])
    for column in columns:
        value = row.text(column)
        if column not in locked and not value:
            continue
        if issued:
            known = [s["cells"][column] for s in issued if column in s["cells"]]
            if not known or value in known:
                continue
            expected = known[-1]
        else:
            expected = _fallback_mismatch(column, value, item, versions)
            if expected is None:
                continue
        if column in locked:
            ctx.problems.append(Problem(where(row.row, column), "ledger-locked",
                                        f"“{column}”由检查工具填写，不能修改：下发时为“{_clip(expected)}”，现为“{_clip(value)}”",
                                        expected=expected, found=value))
        else:
            ctx.notices.append(Problem(where(row.row, column), "ledger-deadline-kept",
                                       f"整改时限以检查组下发的 {item.deadline.isoformat()} 为准，未采用填报的“{value}”"
                                       "（如需延期，请向检查组申请）"))


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _fallback_mismatch(column: str, value: str, item: Any, versions: list[store.IssuedVersion]) -> str | None:
    """For findings no stored ledger carries: the expected text when the cell contradicts the finding, else None."""
    if column == "单位":
        if item.unit_id in value or value in {v.unit_name for v in versions}:
            return None
        return next((v.unit_name for v in reversed(versions) if v.unit_name), item.unit_id)
    if column == "规则":
        return None if item.rule in value else item.rule
    if column == "问题描述":
        messages = [" ".join(v.message.split()) for v in versions]
        return None if not messages or value in messages else messages[-1]
    if column == DEADLINE:
        deadlines = {v.deadline for v in versions if v.deadline} | {item.deadline}
        try:
            if parse_date(value) in deadlines:
                return None
        except ValueError:
            pass
        return item.deadline.isoformat()
    return None
