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
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from checker.findings import Finding, RuleMeta, RunInfo, UnitResult
from checker.outputs.charts import text_width_em
from checker.outputs.findings_json import ordered_findings
from checker.outputs.naming import ledger_path
from checker.outputs.notices import COMPOSITE_GROUP, DEFAULT_ISSUER
from checker.render import display_text
from checker.schema import RECTIFICATION_STATUSES

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext

LEDGER_XLSX = "ledger.xlsx"
LEDGER_CSV = "ledger.csv"
SHEET_TITLE = "整改台账"
HELP_SHEET = "填写说明"
META_SHEET = "_pbcheck"          # hidden: what produced the ledger, for reading it back
OPEN_STATUS = "未启动"
WAIVED_MARK = "已批准豁免"
FONT_NAME = "宋体"
HEADER_FONT_NAME = "黑体"
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A ledger column: its header, width (in characters), whether the checker owns it (locked), wrapping."""

    header: str
    width: float
    locked: bool
    wrap: bool = False
    date: bool = False


# The 17 columns of the issue, in its order, then additions (never renamed or reordered; see interface.md).
COLUMNS: tuple[Column, ...] = (
    Column("问题编号", 19, True),
    Column("序号", 6, True),
    Column("单位", 24, True, wrap=True),
    Column("问题来源", 22, True, wrap=True),
    Column("规则", 22, True, wrap=True),
    Column("问题类别", 14, True, wrap=True),
    Column("问题描述", 48, True, wrap=True),
    Column("依据条款", 32, True, wrap=True),
    Column("整改措施", 40, False, wrap=True),
    Column("责任单位", 20, False, wrap=True),
    Column("责任人", 10, False),
    Column("整改时限", 12, True, date=True),          # set by the notice; not the unit's to move
    Column("完成情况", 30, False, wrap=True),
    Column("佐证材料", 24, False, wrap=True),
    Column("状态", 10, False),
    Column("复核人", 10, False),
    Column("销号日期", 12, False, date=True),
    Column("风险等级", 8, True),
    Column("单位编号", 12, True),
    Column("检查对象", 16, True, wrap=True),
    Column("备注", 30, False, wrap=True),
)
HEADERS = tuple(c.header for c in COLUMNS)
STATUS_COLUMN = HEADERS.index("状态")

HELP_LINES = (
    "整改台账填写说明",
    "1. 每行是一项检查发现的问题，“问题编号”与整改通知书一致，是该问题的唯一标识，请勿修改（已锁定）。",
    "2. 灰底列（问题编号至依据条款、整改时限、风险等级、单位编号、检查对象）由检查工具生成，已锁定；白底列由整改单位填写。",
    "3. “整改措施”预填了整改要求，请结合实际细化；“责任人”“完成情况”“佐证材料”“复核人”“销号日期”按实际填写。",
    "4. “状态”从下拉列表选择：" + "、".join(RECTIFICATION_STATUSES) + "。整改完成并经复核后填写销号日期、状态选“已销号”。",
    "5. 备注为“已批准豁免”的问题不列入整改通知书，到期后仍存在的将在下次检查中重新列为问题。",
    "6. 工作表保护未设密码，仅为防止误改；请勿增删行列或改动表头，以便检查组导入回收。",
)


def _clean(text: str) -> str:
    """Text openpyxl can store: control characters Excel refuses become U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


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

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
_LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_FONT = Font(name=HEADER_FONT_NAME, size=11, bold=True)
_BODY_FONT = Font(name=FONT_NAME, size=10.5)
_WRAP = Alignment(wrap_text=True, vertical="top")
_PLAIN = Alignment(vertical="top")
_CENTER = Alignment(horizontal="center", vertical="top")
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
LINE_HEIGHT_PT = 14.5
MAX_ROW_HEIGHT_PT = 300


def _row_height(values: Sequence[Any]) -> float:
    """Row height that shows the wrapped text (Excel does not fit rows of generated files on opening)."""
    lines = 1
    for column, value in zip(COLUMNS, values):
        if column.wrap and isinstance(value, str) and value:
            per_line = max(column.width - 1, 1)
            lines = max(lines, sum(math.ceil(max(text_width_em(part) * 2, 1) / per_line)
                                   for part in value.split("\n")))
    return min(LINE_HEIGHT_PT * lines + 4, MAX_ROW_HEIGHT_PT)


def _cell(ws: Any, value: Any, column: Column) -> WriteOnlyCell:
    if isinstance(value, str):
        value = _clean(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"       # never a formula, whatever the text starts with
    cell.font = _BODY_FONT
    cell.border = _BORDER
    cell.alignment = _WRAP if column.wrap else (_CENTER if column.header in ("序号", "状态", "风险等级") else _PLAIN)
    cell.protection = _LOCKED if column.locked else _UNLOCKED
    if column.locked:
        cell.fill = _LOCKED_FILL
    if column.date:
        cell.number_format = "yyyy-mm-dd"
    return cell


def _ledger_sheet(wb: Workbook, rows: Sequence[Sequence[Any]], title: str) -> None:
    ws = wb.create_sheet(SHEET_TITLE)
    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "C2"                           # header and 问题编号/序号 stay visible
    last = get_column_letter(len(COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    status_col = get_column_letter(STATUS_COLUMN + 1)
    validation = DataValidation(type="list", formula1='"' + ",".join(RECTIFICATION_STATUSES) + '"',
                                allow_blank=True, showErrorMessage=True, errorTitle="状态无效",
                                error="请从下拉列表中选择：" + "、".join(RECTIFICATION_STATUSES),
                                promptTitle="状态", prompt="请选择整改状态", showInputMessage=True)
    validation.add(f"{status_col}2:{status_col}{max(len(rows) + 1, 2) + 500}")
    ws.data_validations.append(validation)
    ws.protection = SheetProtection(sheet=True, selectLockedCells=False, selectUnlockedCells=False,
                                    autoFilter=False, sort=False, formatColumns=False, formatRows=False,
                                    formatCells=True, insertRows=True, deleteRows=True,
                                    insertColumns=True, deleteColumns=True)
    ws.row_dimensions[1].height = 30
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.data_type = "s"
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.protection = _LOCKED
        header.append(cell)
    ws.append(header)
    for index, values in enumerate(rows, start=2):
        ws.row_dimensions[index].height = _row_height(values)
        ws.append([_cell(ws, v, c) for v, c in zip(values, COLUMNS)])


def _help_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    ws.column_dimensions["A"].width = 110
    for i, line in enumerate(HELP_LINES):
        cell = WriteOnlyCell(ws, value=line)
        cell.font = Font(name=HEADER_FONT_NAME if i == 0 else FONT_NAME, size=14 if i == 0 else 11, bold=i == 0)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([cell])


def _meta_sheet(wb: Workbook, run: RunInfo, unit: str | None) -> None:
    ws = wb.create_sheet(META_SHEET)
    ws.sheet_state = "hidden"
    for key, value in (("format", "pbcheck-ledger"), ("format_version", "1"), ("tool_version", run.tool_version),
                       ("pack_id", run.pack_id), ("pack_version", run.pack_version), ("as_of", run.as_of),
                       ("started", run.started), ("unit", unit or ""), ("columns", "|".join(HEADERS))):
        ws.append([key, _clean(str(value))])


def ledger_workbook(rows: Sequence[Sequence[Any]], run: RunInfo, unit: str | None = None,
                    title: str = "整改台账") -> bytes:
    """An .xlsx 整改台账 with the given rows (see COLUMNS), a help sheet and hidden run metadata."""
    wb = Workbook(write_only=True)
    wb.properties.title = title
    wb.properties.creator = f"pbcheck {run.tool_version}"
    wb.properties.subject = f"{run.pack_title} {run.pack_version}"
    _ledger_sheet(wb, rows, title)
    _help_sheet(wb)
    _meta_sheet(wb, run, unit)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _ledger_title(run: RunInfo, unit: UnitResult | None = None) -> str:
    who = f"{unit.name or unit.unit}" if unit else (run.issuer or DEFAULT_ISSUER)
    return f"{who}整改台账（{run.pack_title}，{run.as_of}）"


def write_xlsx(ctx: "OutputContext") -> list[tuple[str, bytes]]:
    """Output format `xlsx`: ledger.xlsx with every finding, and ledgers/<unit>.xlsx with each unit's own rows."""
    findings = ordered_findings(ctx.units)
    out = [(LEDGER_XLSX, ledger_workbook(ledger_rows(findings, ctx.units, ctx.rules, ctx.run), ctx.run,
                                         title=_ledger_title(ctx.run)))]
    by_unit: dict[str, list[Finding]] = {}
    for f in findings:
        by_unit.setdefault(f.unit, []).append(f)
    for unit in ctx.units:
        own = by_unit.get(unit.unit)
        if own:
            rows = ledger_rows(own, (unit,), ctx.rules, ctx.run)
            out.append((ledger_path(unit.unit), ledger_workbook(rows, ctx.run, unit.unit, _ledger_title(ctx.run, unit))))
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
