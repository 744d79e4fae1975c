"""Mapping the validator's problems (field paths such as `meetings[2].present`) back to spreadsheet cells.

A problem at a field that came from a cell is placed at that cell (`records.xlsx › meetings › 第5行 ›
列F(present)`) and its message loses the path prefix the column already shows; a problem at an
element (a missing field) is placed at the element's row. Type mismatches are re-worded with the
spreadsheet's own hint (e.g. how to write a date) instead of the YAML one.
"""
from __future__ import annotations

import re
from dataclasses import replace

from openpyxl.utils import column_index_from_string

from checker.errors import Location, Problem
from checker.inputs.spreadsheet.assemble import SheetUnit
from checker.inputs.spreadsheet.layout import SHEETS

_SHEET_ORDER = {s.name: i for i, s in enumerate(SHEETS)}
_LAST_SEGMENT = re.compile(r"(?:\.[^.\[\]]+|\[\d+\])$")
_INDEX = re.compile(r"\[(\d+)\]")
_REWORDED = ("type-error", "bad-date")


def translate(problems: list[Problem], unit: SheetUnit) -> list[Problem]:
    """The validator's problems of `unit`, placed at cells and rows; those already reported by the reader dropped."""
    out = []
    for p in problems:
        path = p.field or ""
        if _already_reported(path, unit.reported):
            continue
        base = path
        while base not in unit.places and base:
            base = _LAST_SEGMENT.sub("", base)
        place = unit.places.get(base, unit.location)
        body = _body(p)
        note = unit.notes.get(path) or (unit.notes.get(base) if place.column else None)
        if p.code in _REWORDED and p.expected and p.found:
            body = f"期望 {p.expected}，实际 {p.found}{note or ''}"
        elif note and p.code == "required":
            body += note
        rest = path[len(base):]
        if place.column is not None:
            index = _INDEX.fullmatch(rest)
            prefix = f"第{int(index.group(1)) + 1}项：" if index else (f"{rest.lstrip('.')}：" if rest else "")
        else:
            prefix = f"{rest.lstrip('.')}：" if rest.lstrip(".") else ""
        out.append(replace(p, location=place, message=prefix + body))
    return out


def _already_reported(path: str, reported: set[str]) -> bool:
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in reported)


def _body(p: Problem) -> str:
    """The message without the validator's `field.path：` prefix."""
    prefix = f"{p.field or '单位记录'}："
    return p.message[len(prefix):] if p.message.startswith(prefix) else p.message


def sort_key(p: Problem) -> tuple:
    """Order of problems in a book: by sheet (layout order), row, column."""
    loc = p.location
    if loc is None or loc.sheet is None:
        return (-1, 0, 0, loc.file if loc else "")
    column = 0
    if loc.column:
        letters = re.match(r"[A-Z]+", loc.column)
        column = column_index_from_string(letters.group(0)) if letters else 0
    return (_SHEET_ORDER.get(loc.sheet, len(_SHEET_ORDER)), loc.row or 0, column, loc.file)


def column_letters(location: Location) -> str | None:
    """The column letters of a location (`F` of `F(present)`), or None."""
    if not location.column:
        return None
    match = re.match(r"[A-Z]+", location.column)
    return match.group(0) if match else None
