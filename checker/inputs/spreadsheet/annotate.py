"""`--annotate`: a copy of each workbook (or CSV set) with every problem shown where it is.

The copy opens on a `问题清单` sheet listing every problem with a link to its cell; each offending
cell is highlighted and carries a comment with the problem (problems of a whole row go to the row's
first cell). The original file is never modified. A CSV set is annotated as one workbook whose
sheets hold the CSV files' text, with the same row numbers and column letters.
"""
from __future__ import annotations

import csv
import io
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from checker.errors import Problem
from checker.atomic import write_atomic
from checker.inputs.records import InvalidUnit
from checker.inputs.source import decode_utf8
from checker.inputs.spreadsheet.cells import MAX_CELL_CHARS
from checker.inputs.spreadsheet.layout import PROBLEMS_SHEET, SHEETS
from checker.inputs.spreadsheet.locate import column_letters, sort_key

LIST_SHEET = PROBLEMS_SHEET
AUTHOR = "pbcheck 问题标注"          # not "pbcheck": the template's help comments must survive re-annotation
_NO_FILL = PatternFill(fill_type=None)
_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
_BAD_FONT = Font(color="9C0006")
_HEAD_FONT = Font(bold=True)


def annotation_files(invalid: Sequence[InvalidUnit]) -> tuple[list[tuple[str, bytes]], list[str]]:
    """(file name, workbook bytes) per spreadsheet input with problems, and notes on inputs that could not be copied."""
    by_source: dict[str, list[Problem]] = defaultdict(list)
    for unit in invalid:
        for problem in unit.problems:
            if problem.location is not None and problem.location.sheet is not None:
                by_source[unit.source].append(problem)
            elif _is_spreadsheet(unit.source):
                by_source[unit.source].append(problem)
    files: list[tuple[str, bytes]] = []
    notes: list[str] = []
    used: set[str] = set()
    for source, problems in by_source.items():
        path = Path(source)
        name = _unique(f"{path.name if path.is_dir() else path.stem}_问题标注.xlsx", used)
        try:
            wb = _csv_workbook(path) if path.is_dir() else _open(path)
        except Exception as exc:  # noqa: BLE001 - a damaged file: the problems are still printed
            notes.append(f"无法生成 {source} 的标注副本：{type(exc).__name__}: {exc}")
            continue
        annotate(wb, sorted(problems, key=sort_key))
        out = io.BytesIO()
        wb.save(out)
        files.append((name, out.getvalue()))
    return files, notes


def write_annotations(invalid: Sequence[InvalidUnit], directory: Path) -> tuple[list[Path], list[str]]:
    """Write the annotated copies into `directory` (atomically); their paths and notes on skipped inputs."""
    files, notes = annotation_files(invalid)
    written = []
    for name, data in files:
        path = directory / name
        write_atomic(path, data)
        written.append(path)
    return written, notes


def _is_spreadsheet(source: str) -> bool:
    path = Path(source)
    return path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm")


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        stem = name.removesuffix(".xlsx")
        candidate = f"{stem}-{n}.xlsx"
        n += 1
    used.add(candidate)
    return candidate


def _open(path: Path) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(path, keep_vba=False, keep_links=False)


def _csv_workbook(directory: Path) -> Workbook:
    """The CSV set as a workbook of text cells (same row numbers and column letters as the CSV files)."""
    wb = Workbook()
    wb.remove(wb.active)
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    order = {s.name: i for i, s in enumerate(SHEETS)}
    files.sort(key=lambda p: (order.get(p.stem, len(order)), p.name))
    for file in files:
        ws = wb.create_sheet(file.stem[:31])
        try:
            text = decode_utf8(file.read_bytes(), str(file))
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except Exception as exc:  # noqa: BLE001 - unreadable CSV: say so in the sheet instead of its rows
            ws.cell(1, 1, f"无法读取此 CSV 文件：{exc}")
            continue
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value == "":
                    continue
                shown = ILLEGAL_CHARACTERS_RE.sub("�", value)
                if len(shown) > MAX_CELL_CHARS:
                    shown = shown[: MAX_CELL_CHARS - 20] + "……（超长内容已截断）"
                cell = ws.cell(r, c, shown)
                cell.data_type = "s"
    return wb


def _target_cell(ws: Worksheet, coordinate: str):
    """The cell at `coordinate`, or the top-left cell of the merged range it belongs to."""
    cell = ws[coordinate]
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if coordinate in merged:
                return ws.cell(merged.min_row, merged.min_col)
    return cell


def _clear_previous(wb: Workbook) -> None:
    """An annotated copy annotated again: drop the old list and the old marks (fixed cells must not stay red)."""
    if LIST_SHEET in wb.sheetnames:
        wb.remove(wb[LIST_SHEET])
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None and cell.comment.author == AUTHOR:
                    cell.comment = None
                    cell.fill = _NO_FILL
                    cell.font = Font()


def annotate(wb: Workbook, problems: Iterable[Problem]) -> None:
    """Highlight and comment every problem's cell and put the list of problems first."""
    problems = list(problems)
    _clear_previous(wb)
    comments: dict[tuple[str, str], list[str]] = defaultdict(list)
    listing = []
    for number, p in enumerate(problems, start=1):
        loc = p.location
        text = f"[{p.unit}] {p.message}" if p.unit else p.message
        target = None
        if loc is not None and loc.sheet in wb.sheetnames and loc.row is not None:
            target = (loc.sheet, f"{column_letters(loc) or 'A'}{loc.row}")
            comments[target].append(f"{number}. {text}")
        listing.append((number, str(loc) if loc else "", p.unit or "", p.message, target))
    for (sheet, coordinate), texts in comments.items():
        ws = wb[sheet]
        cell = _target_cell(ws, coordinate)
        body = "\n".join(texts)
        if cell.comment is not None and cell.comment.text:
            body = f"{body}\n——原有批注——\n{cell.comment.text}"
        comment = Comment(_clip(body), AUTHOR)
        comment.width = 360
        comment.height = min(60 + 40 * len(texts), 400)
        cell.comment = comment
        cell.fill = _BAD_FILL
        cell.font = _BAD_FONT
        ws.sheet_properties.tabColor = "C00000"
    ws = wb.create_sheet(LIST_SHEET, 0)
    for c, head in enumerate(("序号", "位置", "单位", "问题"), start=1):
        ws.cell(1, c, head).font = _HEAD_FONT
    for r, (number, where, unit, text, target) in enumerate(listing, start=2):
        ws.cell(r, 1, number)
        place = ws.cell(r, 2, where)
        ws.cell(r, 3, unit)
        ws.cell(r, 4, _clip(text)).data_type = "s"
        if target is not None:
            sheet, coordinate = target
            place.hyperlink = Hyperlink(ref=place.coordinate, location=f"'{sheet}'!{coordinate}")
            place.font = Font(color="0563C1", underline="single")
    for letter, width in zip("ABCD", (6, 48, 12, 100)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.sheet_properties.tabColor = "C00000"
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws


def _clip(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= 30000 else text[:30000] + "……"
