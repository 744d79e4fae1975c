"""Rows of a records workbook → one nested unit mapping per unit, with the cell behind every field.

`read_book` reads a workbook or CSV set sheet by sheet (in layout order, so parents come before the
rows that refer to them), converts every cell by its column's schema type and builds, per row of
`units`, the same nested mapping a YAML file would give. It remembers where each field path came
from (`places`), notes on cells that did not convert (`notes`), and problems found while reading
(cells without a value, rows that belong to no unit, merged cells…). Validation itself is left to
`checker.inputs.records.validate_unit`; `locate.translate` maps its field paths back to the cells.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import Location, Problem
from checker.inputs.records import suggest
from checker.inputs.spreadsheet.books import Book, MergedRange, RawCell, SheetUnreadable, open_book
from checker.inputs.spreadsheet.cells import Converted, convert, convert_multi
from checker.inputs.spreadsheet.layout import NOT_DATA_SHEETS, SHEET_BY_NAME, SHEETS, UNITS_SHEET, Column, Sheet, column_letter

_PARENT_SHEETS = {s.parent.name for s in SHEETS if s.parent is not None}


@dataclass
class SheetUnit:
    """One unit read from a book: its data (as YAML would give it) and where every part came from."""

    data: dict
    location: Location                                          # its row in `units`
    places: dict[str, Location] = field(default_factory=dict)    # field path → cell, element path → row
    notes: dict[str, str] = field(default_factory=dict)         # field path → why the cell did not convert
    reported: set[str] = field(default_factory=set)             # field paths whose cell problem is already reported
    problems: list[Problem] = field(default_factory=list)       # problems found while reading
    unit_id: str | None = None
    duplicated: bool = False                                     # its unit_id appears again in `units`
    _unknown_seen: set[tuple[str, int]] = field(default_factory=set)

    def place_text(self, path: str) -> str | None:
        """Where an element is, in words (`meetings 表第5行`), for messages that refer to another row."""
        place = self.places.get(path)
        if place is None or place.row is None:
            return None
        return f" {place.sheet} 表第{place.row}行"

    def add(self, place: Location, code: str, message: str, path: str | None = None,
            expected: str | None = None, found: str | None = None) -> None:
        """Record a problem of this unit found while reading."""
        self.problems.append(Problem(place, code, message, None, path, expected, found))


@dataclass
class ReadBook:
    """Every unit of a book, and the problems that belong to no unit (file, headers, stray rows)."""

    units: list[SheetUnit]
    problems: list[Problem]


@dataclass
class _Header:
    row: int
    columns: dict[int, Column]          # known columns by 1-based index
    unknown: dict[int, str]             # columns with an unknown or empty header
    missing: list[Column]               # value columns the sheet lacks
    unit_col: int | None = None
    parent_col: int | None = None
    # per value column, computed once per sheet: (index, column, dotted path, cell name such as "F(present)")
    values: list[tuple[int, Column, str, str]] = field(default_factory=list)


def read_book(path: Path, shown: str) -> ReadBook:
    """Read a workbook (file) or CSV set (directory); InputError when the file cannot be opened at all."""
    book = open_book(path, shown)
    try:
        return _Assembler(book).run()
    finally:
        book.close()


def _cell(file: str, sheet: str, row: int, column: str | None = None) -> Location:
    """A row (or, with `column`, a cell) of a sheet."""
    return Location(file, sheet=sheet, row=row, column=column)


def _cell_name(index: int, header: str) -> str:
    return f"{column_letter(index)}({header})" if header else column_letter(index)


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


class _Assembler:
    """One pass over a book's sheets, building the units."""

    def __init__(self, book: Book):
        self.book = book
        self.units: list[SheetUnit] = []
        self.by_id: dict[str, SheetUnit] = {}
        self.problems: list[Problem] = []
        self.unreadable: list[tuple[str, str]] = []
        # parent sheet name → id(unit) → key → (element, element path)
        self.parents: dict[str, dict[int, dict[str, tuple[dict, str]]]] = {n: {} for n in _PARENT_SHEETS}
        self.owners: dict[tuple[str, int], SheetUnit] = {}

    def run(self) -> ReadBook:
        names = self.book.sheet_names()
        self.unknown_sheets(names)
        if UNITS_SHEET not in names:
            hint = suggest(UNITS_SHEET, [n for n in names if n not in SHEET_BY_NAME], {"单位": UNITS_SHEET})
            note = f"是否为工作表 “{hint}”？" if hint else "可用 pbcheck template 生成空白模板。"
            self.problems.append(Problem(Location(self.book.shown), "missing-sheet",
                                         f"缺少工作表 units（每行一个单位）；{note}",
                                         None, None, "工作表 units", "、".join(names) or "没有工作表"))
            return ReadBook([], self.problems)
        for sheet in SHEETS:
            if sheet.name in names:
                self.read_sheet(sheet)
        for unit in self.units:
            for name, file in self.unreadable:
                unit.add(Location(file, sheet=name), "sheet-unreadable",
                         f"工作表 {name} 无法读取，不能确定本单位在该表中的记录（见该表的问题）")
        return ReadBook(self.units, self.problems)

    # -- sheets -----------------------------------------------------------------------------

    def unknown_sheets(self, names: list[str]) -> None:
        """A sheet the layout does not know is an error when it holds anything (its rows would be lost)."""
        aliases = {s.label: s.name for s in SHEETS}
        for name in names:
            if name in SHEET_BY_NAME or name in NOT_DATA_SHEETS:
                continue
            try:
                first = next(iter(self.book.rows(name)), None)
            except SheetUnreadable:
                first = (1, {})
            if first is None:
                continue
            hint = suggest(name, [s.name for s in SHEETS], aliases)
            note = f"；是否为 “{hint}”？" if hint else f"（可用的工作表：{'、'.join(s.name for s in SHEETS)}）"
            self.problems.append(Problem(Location(self.book.file_of(name), sheet=name), "unknown-sheet",
                                         f"未知的工作表 “{name}”，其中的内容没有读取{note}", None, None, None, name))

    def read_sheet(self, sheet: Sheet) -> None:
        file = self.book.file_of(sheet.name)
        header: _Header | None = None
        try:
            rows = self.book.rows(sheet.name)
            first = next(rows, None)
            if first is None:
                return                                       # an empty sheet: nothing recorded
            header = self.header(sheet, file, *first)
            if header is None:
                self.unreadable.append((sheet.name, file))
                rows.close()
                return
            for number, cells in rows:
                if number == header.row + 1 and _is_label_row(header, cells):
                    continue
                if sheet.name == UNITS_SHEET:
                    self.unit_row(sheet, file, header, number, cells)
                else:
                    self.list_row(sheet, file, header, number, cells)
        except SheetUnreadable as exc:
            self.problems.append(exc.problem)
            self.unreadable.append((sheet.name, file))
            return
        for merged in self.book.merged(sheet.name):
            self.merged_range(sheet, file, header, merged)

    def header(self, sheet: Sheet, file: str, row: int, cells: dict[int, RawCell]) -> _Header | None:
        """Map header cells to columns; None when the sheet cannot be read without guessing."""
        columns: dict[int, Column] = {}
        unknown: dict[int, str] = {}
        seen: dict[str, int] = {}
        fatal = False
        for index in sorted(cells):
            raw = cells[index]
            place = _cell(file, sheet.name, row, column_letter(index))
            if raw.problem:
                self.problems.append(Problem(place, raw.code or "bad-cell", f"表头单元格：{raw.problem}"))
                unknown[index] = ""
                continue
            name = str(raw.value).strip()
            column = sheet.column(name)
            if column is None:
                unknown[index] = name
                continue
            if name in seen:
                fatal = True
                self.problems.append(Problem(place, "duplicate-column",
                                             f"列 {name} 出现两次（{column_letter(seen[name])} 列和 {column_letter(index)} 列），"
                                             f"无法确定使用哪一列", None, name, "每列只出现一次", name))
                continue
            seen[name] = index
            columns[index] = column
        if not columns:
            found = "、".join(f"“{n}”" for n in list(unknown.values())[:3] if n) or "空白"
            self.problems.append(Problem(_cell(file, sheet.name, row), "no-header",
                                         f"第{row}行应为表头（字段名，如 {sheet.columns[0].name}），实际为 {found}；"
                                         f"如在表头之上加了标题行，请删除", None, None, "字段名表头", found))
            return None
        missing = [c for c in sheet.columns if c.name not in seen]
        for column in missing:
            if column.link is None and not (sheet.name == UNITS_SHEET and column.name == "unit_id"):
                continue
            fatal = True
            what = "本行所属单位" if column.link == "unit" else (
                f"本行所属的{sheet.parent.record.label}" if column.link == "parent" else "每个单位")
            hint = self.header_hint(column.name, unknown)
            self.problems.append(Problem(_cell(file, sheet.name, row), "missing-column",
                                         f"缺少列 {column.name}（{column.label}），无法确定{what}{hint}",
                                         None, column.name, f"表头含 {column.name}", None))
        if fatal:
            return None
        header = _Header(row, columns, unknown, [c for c in missing if c.required and c.link is None])
        for index, column in sorted(columns.items()):
            if column.link == "unit":
                header.unit_col = index
            elif column.link == "parent":
                header.parent_col = index
            else:
                header.values.append((index, column, ".".join(column.path), _cell_name(index, column.name)))
        return header

    @staticmethod
    def header_hint(name: str, unknown: dict[int, str]) -> str:
        hint = suggest(name, [n for n in unknown.values() if n])
        return f"；表头 “{hint}” 是否应为 “{name}”？" if hint else ""

    # -- rows -------------------------------------------------------------------------------

    def unit_row(self, sheet: Sheet, file: str, header: _Header, number: int, cells: dict[int, RawCell]) -> None:
        location = _cell(file, sheet.name, number)
        unit = SheetUnit({}, location)
        unit.places[""] = location
        self.fill(unit, sheet, file, header, number, cells, unit.data, "")
        unit_id = unit.data.get("unit_id")
        if isinstance(unit_id, str) and unit_id:
            unit.unit_id = unit_id
            first = self.by_id.get(unit_id)
            if first is None:
                self.by_id[unit_id] = unit
            else:
                rows = f"第{first.location.row}行、第{number}行"
                for dup in (first, unit) if not first.duplicated else (unit,):
                    dup.duplicated = True
                    dup.add(dup.places.get("unit_id", dup.location), "duplicate-unit",
                            f"单位编号 “{unit_id}” 在 units 表中重复（{rows}），各表中该编号的行无法分清属于哪个单位；"
                            f"请改用不同的编号", "unit_id", "units 表中唯一的单位编号", unit_id)
        self.units.append(unit)
        self.owners[(sheet.name, number)] = unit

    def list_row(self, sheet: Sheet, file: str, header: _Header, number: int, cells: dict[int, RawCell]) -> None:
        unit_place = _cell(file, sheet.name, number, _cell_name(header.unit_col, "unit_id"))
        unit_id = self.link_text(cells.get(header.unit_col), unit_place, None)
        if unit_id is None:
            if header.unit_col not in cells:
                self.problems.append(Problem(unit_place, "required", "unit_id 为空：无法确定本行属于哪个单位",
                                             None, "unit_id", "units 表中的单位编号", "空"))
            return
        unit = self.by_id.get(unit_id)
        if unit is None:
            self.orphan(sheet, unit_place, unit_id)
            return
        self.owners[(sheet.name, number)] = unit
        if sheet.parent is not None:
            parent = self.parent_of(sheet, file, header, number, cells, unit)
            if parent is None:
                return
            container, base = parent
        else:
            container, base = unit.data, ""
        items = container.setdefault(sheet.list_field, [])
        path = f"{_join(base, sheet.list_field)}[{len(items)}]"
        element: dict[str, Any] = {}
        items.append(element)
        unit.places[path] = _cell(file, sheet.name, number)
        self.fill(unit, sheet, file, header, number, cells, element, path)
        if sheet.name in _PARENT_SHEETS:
            key_field = next(s.parent_key for s in SHEETS if s.parent is sheet)
            key = element.get(key_field)
            if isinstance(key, str) and key:
                self.parents[sheet.name].setdefault(id(unit), {}).setdefault(key, (element, path))

    def orphan(self, sheet: Sheet, place: Location, unit_id: str) -> None:
        """A row whose unit_id is not in `units`; a unit whose id differs only in spelling (`gd-01`, `GD01`)
        is the one the row was meant for, and is not checked without it."""
        same = [uid for uid in self.by_id if _loose(uid) == _loose(unit_id)]
        hint = same[0] if len(same) == 1 else suggest(unit_id, list(self.by_id))
        note = f"；是否为 “{hint}”？" if hint else ""
        problem = Problem(place, "unknown-unit",
                          f"unit_id “{unit_id}” 不是 units 表中的单位编号{note or '；'}本行（{sheet.label}）没有读取",
                          None, "unit_id", "units 表中的单位编号", unit_id)
        if len(same) == 1:
            self.by_id[same[0]].problems.append(problem)
        else:
            self.problems.append(problem)

    def parent_of(self, sheet: Sheet, file: str, header: _Header, number: int, cells: dict[int, RawCell],
                  unit: SheetUnit) -> tuple[dict, str] | None:
        """The parent element a nested row belongs to (its meeting, plan, zone), or None after reporting why."""
        link = sheet.parent_link
        place = _cell(file, sheet.name, number, _cell_name(header.parent_col, link.name))
        key = self.link_text(cells.get(header.parent_col), place, unit)
        parent_sheet = sheet.parent
        what = parent_sheet.record.field(sheet.parent_key).label
        if key is None:
            if header.parent_col not in cells:
                unit.add(place, "required", f"{link.name} 为空：无法确定本行属于哪个{parent_sheet.record.label}，本行没有读取",
                         None, what, "空")
            return None
        known = self.parents[parent_sheet.name].get(id(unit), {})
        found = known.get(key)
        if found is None:
            hint = suggest(key, list(known))
            note = f"；是否为 “{hint}”？" if hint else ""
            unit.add(place, "reference",
                     f"{link.name} “{key}” 不是本单位 {parent_sheet.name} 表中的{what}{note or '；'}本行没有读取",
                     None, f"本单位 {parent_sheet.name} 表中的 {sheet.parent_key}", key)
        return found

    def link_text(self, raw: RawCell | None, place: Location, unit: SheetUnit | None) -> str | None:
        """The text of a link cell (unit_id, meeting_id…), or None (problems of the cell reported)."""
        if raw is None:
            return None
        if raw.problem:
            problem = Problem(place, raw.code or "bad-cell", raw.problem)
            (unit.problems if unit is not None else self.problems).append(problem)
            return None
        value = convert(SHEET_BY_NAME[UNITS_SHEET].column("unit_id").scalar, raw.value).value
        if not isinstance(value, str) or not value:
            problem = Problem(place, "type-error", f"期望 文字编号，实际 {value!r}", None, None, "文字编号", repr(value))
            (unit.problems if unit is not None else self.problems).append(problem)
            return None
        return value

    def fill(self, unit: SheetUnit, sheet: Sheet, file: str, header: _Header, number: int,
             cells: dict[int, RawCell], target: dict, base: str) -> None:
        """Put the row's cells into `target` (absent columns stay absent, blank cells become None)."""
        for index, column, dotted, cell_name in header.values:
            path = f"{base}.{dotted}" if base else dotted
            place = Location(file, sheet=sheet.name, row=number, column=cell_name)
            unit.places[path] = place
            container = target
            for name in column.path[:-1]:
                container = container.setdefault(name, {})
            raw = cells.get(index)
            value: Any = None
            if raw is not None and raw.problem:
                unit.add(place, raw.code or "bad-cell", raw.problem, path)
                unit.reported.add(path)
            elif raw is not None:
                converted: Converted = convert_multi(column.scalar, raw.value) if column.multi \
                    else convert(column.scalar, raw.value)
                value = converted.value
                if converted.note:
                    unit.notes[path] = converted.note
            container[column.path[-1]] = value
        for column in header.missing:
            unit.notes[_join(base, ".".join(column.path))] = f"（{sheet.name} 表没有 {column.name} 列）"
        for index in cells:
            if index in header.columns or (sheet.name, index) in unit._unknown_seen:
                continue
            name = header.unknown.get(index, "")
            unit._unknown_seen.add((sheet.name, index))
            place = _cell(file, sheet.name, number, _cell_name(index, name))
            if name:
                hint = suggest(name, [c.name for c in sheet.columns], {c.label: c.name for c in sheet.columns})
                note = f"；是否为 “{hint}”？" if hint else ""
                message = f"未知的列 “{name}”（表头第{header.row}行）{note}该列的内容没有读取"
            else:
                message = f"{column_letter(index)} 列没有表头（第{header.row}行），该列的内容没有读取"
            unit.add(place, "unknown-column", message, None, None, name or None)

    def merged_range(self, sheet: Sheet, file: str, header: _Header | None, merged: MergedRange) -> None:
        """Merged cells leave all but the top-left cell empty: every row they cover is in doubt."""
        anchor = _cell(file, sheet.name, merged.min_row, column_letter(merged.min_col))
        message = (f"合并单元格 {merged.ref}：合并后只有左上角的单元格有内容，请取消合并，"
                   f"并在每一行（列）分别填写")
        header_row = header.row if header is not None else 1
        owners: list[SheetUnit] = []
        for row in range(merged.min_row, merged.max_row + 1):
            owner = self.owners.get((sheet.name, row))
            if owner is not None and owner not in owners:
                owners.append(owner)
        if merged.min_row <= header_row + 1 and not owners:
            self.problems.append(Problem(anchor, "merged-cells", "表头" + message))
            return
        if not owners:
            self.problems.append(Problem(anchor, "merged-cells", message))
        for owner in owners:
            owner.add(anchor, "merged-cells", message)


def _loose(text: str) -> str:
    """An id without case, width, blanks and dashes: `ＧＤ－01`, `gd 01` and `GD-01` are the same."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _is_label_row(header: _Header, cells: dict[int, RawCell]) -> bool:
    """The row under the header that repeats the Chinese labels (the template writes one)."""
    matched = 0
    for index, raw in cells.items():
        column = header.columns.get(index)
        if column is None or raw.problem or not isinstance(raw.value, str):
            return False
        if raw.value.strip() not in (column.label_text, column.label, column.label.rsplit("·", 1)[-1]):
            return False
        matched += 1
    return matched > 0

