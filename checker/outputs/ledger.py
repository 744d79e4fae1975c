"""整改台账: ledger.xlsx (all findings), ledgers/<unit>.xlsx (each unit only its own rows) and ledger.csv.

One row per finding, keyed by the locked 问题编号 (the fingerprint), so a ledger that units filled in can be
read back and matched to later runs. The checker's columns are locked (sheet protection without a password:
it prevents accidental edits, not deliberate ones); the columns a unit fills in stay editable, 状态 with a
drop-down of records.md's rectification statuses.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from checker.findings import Finding, RuleMeta, RunInfo, UnitResult
from checker.outputs.findings_json import ordered_findings
from checker.outputs.ledger_book import LedgerBook
from checker.outputs.ledger_columns import HEADERS, OPEN_STATUS, WAIVED_MARK
from checker.outputs.naming import ledger_path
from checker.outputs.notices import COMPOSITE_GROUP, DEFAULT_ISSUER
from checker.render import display_text

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext

LEDGER_XLSX = "ledger.xlsx"
LEDGER_CSV = "ledger.csv"
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def finding_source(f: Finding, run: RunInfo) -> str:
    """问题来源: which check found it (issuer, as-of date; manual entries say so)."""
    issuer = run.issuer or DEFAULT_ISSUER
    how = "人工核查" if f.source == "manual" else "党建与生产经营融合检查"
    return f"{issuer}{how}（{run.as_of}）"


def waiver_note(f: Finding) -> str:
    """备注 of a waived finding: 已批准豁免 with reason, approver and expiry."""
    if f.status != "waived":
        return ""
    w = f.waiver or {}
    parts = [f"理由：{display_text(w.get('reason'))}", f"批准人：{display_text(w.get('approver'))}"]
    expires = w.get("expires")
    parts.append(f"有效期至{display_text(expires)}" if expires else "未设期限")
    return f"{WAIVED_MARK}（" + "；".join(parts) + "）"


def ledger_row(n: int, f: Finding, unit: UnitResult | None, rules: dict[str, RuleMeta] | Any,
               run: RunInfo) -> list[Any]:
    """The values of one ledger row, in COLUMNS order (dates as date objects, blanks as None)."""
    meta = rules.get(f.rule)
    composite = f.composite or bool(meta and meta.composite)
    category = COMPOSITE_GROUP if composite else "、".join(f.tags)
    name = unit.name if unit and unit.name else f.unit
    return [
        f.fingerprint, n, name, finding_source(f, run), f"{f.rule} {f.title}", category, f.message,
        "；".join(f.refs), f.remedy or None, name, None, _date(f.deadline), None, None,
        OPEN_STATUS if f.status == "open" else None, None, None,
        f.severity, f.unit, f.item, waiver_note(f) or None,
    ]


def ledger_rows(findings: Sequence[Finding], units: Iterable[UnitResult], rules: Any,
                run: RunInfo) -> list[list[Any]]:
    """Ledger rows for `findings` (numbered 1…N in the given order)."""
    by_id = {u.unit: u for u in units}
    return [ledger_row(n, f, by_id.get(f.unit), rules, run) for n, f in enumerate(findings, start=1)]


# ---------------------------------------------------------------------------- xlsx

def _ledger_title(run: RunInfo, unit: UnitResult | None = None) -> str:
    who = f"{unit.name or unit.unit}" if unit else (run.issuer or DEFAULT_ISSUER)
    return f"{who}整改台账（{run.pack_title}，{run.as_of}）"


def write_xlsx(ctx: "OutputContext") -> list[tuple[str, bytes]]:
    """Output format `xlsx`: ledger.xlsx with every finding, and ledgers/<unit>.xlsx with each unit's own rows."""
    findings = ordered_findings(ctx.units)
    book = LedgerBook(ctx.run)
    out = [(LEDGER_XLSX, book.workbook(ledger_rows(findings, ctx.units, ctx.rules, ctx.run), None,
                                       _ledger_title(ctx.run)))]
    by_unit: dict[str, list[Finding]] = {}
    for f in findings:
        by_unit.setdefault(f.unit, []).append(f)
    for unit in ctx.units:
        own = by_unit.get(unit.unit)
        if own:
            rows = ledger_rows(own, (unit,), ctx.rules, ctx.run)
            out.append((ledger_path(unit.unit), book.workbook(rows, unit.unit, _ledger_title(ctx.run, unit))))
    return out


# ---------------------------------------------------------------------------- csv

def csv_text(value: Any) -> str:
    """A cell as CSV text: dates ISO, blanks empty; text that Excel would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(CSV_FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(ctx: "OutputContext") -> list[tuple[str, str]]:
    """Output format `csv`: ledger.csv, the ledger's rows as UTF-8 with BOM (Excel opens it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in ledger_rows(ordered_findings(ctx.units), ctx.units, ctx.rules, ctx.run):
        writer.writerow([csv_text(v) for v in row])
    return [(LEDGER_CSV, "\ufeff" + buffer.getvalue())]
