"""Reading 整改台账 workbooks by their header names (never by column positions).

A ledger sheet is any sheet with a header row — among its first rows — holding a cell 问题编号.
Its columns are matched by name (whitespace, `*` marks and a trailing parenthesised note such as
“（必填）” ignored), so the writer may order, add or style columns as it likes.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import Location, Problem
from checker.render import format_float

KEY = "问题编号"
SEQ = "序号"
# What units fill in (never locked, whatever the sheet protection says) -> LedgerItem field.
EDITABLE = {"整改措施": "measures", "责任单位": "responsible_unit", "责任人": "responsible_person",
            "完成情况": "progress", "佐证材料": "evidence", "状态": "status", "复核人": "reviewer",
            "销号日期": "closed_on"}
# Filled by the checker; used when a sheet is not protected (a protected sheet's own locks decide).
DEFAULT_LOCKED = ("问题编号", "单位", "问题来源", "规则", "问题类别", "问题描述", "依据条款", "整改时限")
HEADER_SEARCH_ROWS = 30

_IGNORED = re.compile(r"[\s*＊]")
_NOTE = re.compile(r"[（(][^（()）]*[)）]$")


def header_name(value: Any) -> str:
    """A header cell as a column name: text without whitespace, `*` marks and a trailing （note）."""
    if value is None:
        return ""
    text = _IGNORED.sub("", str(value))
    return _NOTE.sub("", text) if _NOTE.sub("", text) else text


def cell_text(value: Any) -> str:
    """A cell as comparable text: dates ISO, numbers without noise, whitespace runs collapsed, None → ""."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return format_float(value)
    return " ".join(str(value).split())


@dataclass
class LedgerRow:
    """One data row: its 1-based row number and raw cell values by column name."""

    row: int
    values: dict[str, Any]

    def text(self, column: str) -> str:
        """The cell of `column` as text ("" when absent or empty)."""
        return cell_text(self.values.get(column))


@dataclass
class LedgerSheet:
    """A sheet holding a ledger table: where its header is, its columns and data rows."""

    file: str
    sheet: str
    header_row: int
    columns: dict[str, int]                       # column name -> 1-based column index
    locked: set[str]                              # checker-filled columns (their cells may not change)
    rows: list[LedgerRow] = field(default_factory=list)

    def location(self, row: int | None = None, column: str | None = None) -> Location:
        """sheet/row/column of a cell (column shown as letter and name)."""
        shown = None
        if column is not None and column in self.columns:
            from openpyxl.utils import get_column_letter
            shown = f"{get_column_letter(self.columns[column])}（{column}）"
        elif column is not None:
            shown = column
        return Location(self.file, sheet=self.sheet, row=row, column=shown)


class LedgerReadError(Exception):
    """A ledger file that cannot be read at all (carries the problems)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message if problems else "")
        self.problems = problems


def read_ledger(path: Path, shown: str | None = None) -> list[LedgerSheet]:
    """Every ledger sheet of an .xlsx workbook, or LedgerReadError saying why there is none."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException
    shown = shown or str(path)
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LedgerReadError([Problem(Location(shown), "ledger-unreadable",
                                       f"无法读取台账工作簿（应为 .xlsx 文件）：{type(exc).__name__} {exc}")]) from None
    sheets: list[LedgerSheet] = []
    problems: list[Problem] = []
    for ws in workbook.worksheets:
        found = _header(ws)
        if found is None:
            continue
        header_row, columns, duplicates = found
        sheet = LedgerSheet(shown, ws.title, header_row, columns, set())
        for name, col in duplicates:
            first = get_column_letter(columns[name])
            problems.append(Problem(sheet.location(header_row, f"{get_column_letter(col)}（{name}）"), "ledger-header",
                                    f"表头“{name}”出现了不止一次（另见列{first}），无法确定以哪一列为准"))
        sheet.locked = _locked_columns(ws, header_row, columns)
        for cells in ws.iter_rows(min_row=header_row + 1, values_only=False):
            values = {name: cells[col - 1].value if col - 1 < len(cells) else None for name, col in columns.items()}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
                continue
            sheet.rows.append(LedgerRow(cells[0].row, values))
        sheets.append(sheet)
    if problems:
        raise LedgerReadError(problems)
    if not sheets:
        raise LedgerReadError([Problem(Location(shown), "ledger-no-header",
                                       f"工作簿中没有整改台账：任何工作表的前{HEADER_SEARCH_ROWS}行都没有“{KEY}”表头")])
    return sheets


def _header(ws: Any) -> tuple[int, dict[str, int], list[tuple[str, int]]] | None:
    for cells in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=False):
        names = [header_name(c.value) for c in cells]
        if KEY not in names:
            continue
        columns: dict[str, int] = {}
        duplicates: list[tuple[str, int]] = []
        for index, name in enumerate(names, start=1):
            if not name:
                continue
            if name in columns:
                duplicates.append((name, index))
            else:
                columns[name] = index
        return cells[0].row, columns, duplicates
    return None


def _locked_columns(ws: Any, header_row: int, columns: dict[str, int]) -> set[str]:
    """Checker-filled columns: a protected sheet's locked cells, else the default list; never what units fill."""
    candidates = {name for name in columns if name not in EDITABLE and name != SEQ}
    if not ws.protection.sheet or ws.max_row <= header_row:
        return candidates & set(DEFAULT_LOCKED) | ({KEY} & candidates)
    locked = set()
    for name in candidates:
        cell = ws.cell(row=header_row + 1, column=columns[name])
        if cell.protection is None or cell.protection.locked:
            locked.add(name)
    return locked | ({KEY} & candidates)


def issued_cells(sheet: LedgerSheet) -> dict[str, dict[str, Any]]:
    """Per 问题编号, the row as written: {"cells": {column: text}, "locked": [locked columns]}."""
    locked = sorted(sheet.locked - {KEY})
    out: dict[str, dict[str, Any]] = {}
    for row in sheet.rows:
        key = row.text(KEY)
        if key:
            out[key] = {"cells": {c: row.text(c) for c in sheet.columns if c not in (KEY, SEQ)}, "locked": locked}
    return out


def parse_date(value: Any) -> dt.date | None:
    """A date cell: an Excel date, or text 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日; None if empty.

    ValueError for anything else.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel
        if 1 <= value < 2958466:
            result = from_excel(value)
            return result.date() if isinstance(result, dt.datetime) else result
        raise ValueError(str(value))
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
