"""`pbcheck export`: validated unit records → the records workbook (XLSX) or a CSV set.

The workbook has the template's formatting (`writer`); values are typed cells: dates as dates,
numbers as numbers, yes/no as 是/否, multi-value cells joined with `、`. Reading the export back
(`pbcheck run out.xlsx`) gives the same records; values a spreadsheet cannot hold faithfully (a text
over 32,767 characters, control characters, an item of a multi-value cell that contains a separator)
are refused with the unit and field named, never silently changed. Text cells lose surrounding blanks
when read (they are never meaningful in these records), so such blanks do not survive a round trip;
fractional numbers keep 15 significant digits, as much as Excel keeps.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from checker.errors import Problem, RecordError
from checker.inputs.records import InvalidUnit, UnitRecord
from checker.inputs.loaders import load_units
from checker.inputs.spreadsheet.cells import MAX_CELL_CHARS, split_multi
from checker.inputs.spreadsheet.layout import SHEETS, Column, Sheet
from checker.inputs.spreadsheet.targets import target_files, write_files
from checker.inputs.spreadsheet.writer import DATE_FORMAT, FIRST_DATA_ROW, new_workbook


SIGNIFICANT_DIGITS = 15          # Excel's precision; more digits would not survive the spreadsheet anyway


@dataclass(frozen=True)
class _Cell:
    """A value to write, or the reason it cannot be written."""

    value: Any
    problem: str | None = None


def _elements(data: dict, sheet: Sheet) -> Iterator[tuple[dict, dict | None]]:
    """The elements of `sheet`'s list in one unit, each with its parent element (nested lists)."""
    if sheet.parent is None:
        for element in data.get(sheet.list_field) or []:
            yield element, None
        return
    for parent, _ in _elements(data, sheet.parent):
        for element in parent.get(sheet.list_field) or []:
            yield element, parent


def _value_at(data: dict, path: tuple[str, ...]) -> Any:
    value: Any = data
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _cell(column: Column, value: Any) -> _Cell:
    if value is None:
        return _Cell(None)
    if column.multi:
        if not value:
            return _Cell(None)
        joined = split_multi(value)
        if joined is None:
            return _Cell(None, "某一项中含有分隔符 ; ； 或 、，表格中无法与多项分隔区分")
        value = joined
    if isinstance(value, bool):
        return _Cell("是" if value else "否")
    if isinstance(value, float):
        return _Cell(float(f"{value:.{SIGNIFICANT_DIGITS}g}"))
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            return _Cell(None, f"文字长 {len(value)} 字，超过电子表格单元格上限 {MAX_CELL_CHARS} 字")
        if ILLEGAL_CHARACTERS_RE.search(value):
            return _Cell(None, "含有电子表格不能保存的控制字符")
    return _Cell(value)


def unit_rows(units: Iterable[UnitRecord]) -> tuple[dict[str, list[list[Any]]], list[Problem]]:
    """Every sheet's rows (values in column order, None for blank) and the values that cannot be written."""
    rows: dict[str, list[list[Any]]] = {s.name: [] for s in SHEETS}
    problems: list[Problem] = []
    for unit in units:
        data = unit.data
        for sheet in SHEETS:
            elements = [(data, None)] if sheet.list_field is None else _elements(data, sheet)
            for position, (element, parent) in enumerate(elements, start=1):
                row = []
                for column in sheet.columns:
                    if column.link == "unit":
                        value = unit.unit_id
                    elif column.link == "parent":
                        value = parent[sheet.parent_key]
                    else:
                        value = _value_at(element, column.path)
                    cell = _cell(column, value)
                    if cell.problem:
                        what = column.name if sheet.list_field is None else \
                            f"{sheet.name} 表第 {position} 条{sheet.record.label}的 {column.name}"
                        problems.append(Problem(unit.location, "cannot-export", f"{what}：{cell.problem}",
                                                unit.unit_id, column.name))
                    row.append(cell.value)
                rows[sheet.name].append(row)
    return rows, problems


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise RecordError(f"有 {len(problems)} 个值无法写入表格，未导出", problems)


def workbook_bytes(units: Iterable[UnitRecord]) -> bytes:
    """The records workbook holding `units`; RecordError if a value cannot be written faithfully."""
    rows, problems = unit_rows(units)
    _refuse(problems)
    wb, sheets = new_workbook()
    for sheet in SHEETS:
        ws = sheets[sheet.name]
        for r, values in enumerate(rows[sheet.name], start=FIRST_DATA_ROW):
            for c, value in enumerate(values, start=1):
                if value is None:
                    continue
                cell = ws.cell(r, c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"          # text starting with "=" is text, not a formula
                elif isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
    wb.active = 1                                  # open on `units`
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_text(value: Any) -> str:
    """A value as CSV text that reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_files(units: Iterable[UnitRecord]) -> list[tuple[str, bytes]]:
    """The CSV set holding `units`: (file name, UTF-8 with BOM, so that Excel reads Chinese) per sheet."""
    rows, problems = unit_rows(units)
    _refuse(problems)
    files = []
    for sheet in SHEETS:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.name for c in sheet.columns])
        writer.writerow([c.label_text for c in sheet.columns])
        for values in rows[sheet.name]:
            writer.writerow([csv_text(v) for v in values])
        files.append((f"{sheet.name}.csv", buffer.getvalue().encode("utf-8-sig")))
    return files


def export_records(inputs: Sequence[str], target: Path, force: bool = False) -> tuple[list[Path], int]:
    """Read records (any supported form), and write them to `target`; (paths written, number of units).

    Every unit must be valid: RecordError with all the problems otherwise (nothing is written).
    """
    units: list[UnitRecord] = []
    problems: list[Problem] = []
    invalid = 0
    for unit in load_units(inputs):
        if isinstance(unit, InvalidUnit):
            invalid += 1
            problems.extend(unit.problems)
        else:
            units.append(unit)
    if problems:
        raise RecordError(f"{invalid} 个单位记录有误，未导出（先用 pbcheck check-records 修正）", problems)
    files = target_files(target, lambda: workbook_bytes(units), lambda: csv_files(units))
    return write_files(files, force), len(units)
