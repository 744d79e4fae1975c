"""Reading a records workbook (XLSX) or CSV set as sheets of rows of raw cells.

A `Book` gives the names of its sheets and, sheet by sheet, the rows that hold anything (row number
as the spreadsheet program shows it, non-blank cells by 1-based column). XLSX is streamed with
openpyxl's read-only parser: a formula's cached value is used, a formula without one, an error value
(`#DIV/0!`) and a text over Excel's 32,767 characters become cells with a `problem` instead of a
value. Merged ranges are known once a sheet's rows were read. Files that cannot be read at all
raise `InputError`; a sheet that cannot be read raises `SheetUnreadable`.
"""
from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from checker.errors import InputError, Location, Problem
from checker.inputs.source import MAX_FILE_BYTES, decode_utf8
from checker.inputs.spreadsheet.cells import MAX_CELL_CHARS, is_blank

# A workbook is a zip: refuse to inflate more than this (zip bombs), whatever the archive claims.
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
_T_TAG = f"{{{SHEET_MAIN_NS}}}t"
_RUN_T = f"{{{SHEET_MAIN_NS}}}r/{{{SHEET_MAIN_NS}}}t"
# csv's default field limit (128 KiB) would stop at the first long cell; lengths are checked per cell instead.
_CSV_FIELD_LIMIT = 2 ** 31 - 1


@dataclass(frozen=True)
class RawCell:
    """One cell as stored: its value, or why it has none (`problem`, with a `code`)."""

    value: Any
    problem: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class MergedRange:
    """A merged range of cells, 1-based and inclusive."""

    ref: str
    min_col: int
    min_row: int
    max_col: int
    max_row: int


Row = tuple[int, dict[int, RawCell]]


class SheetUnreadable(Exception):
    """A sheet whose rows cannot be read (bad encoding, broken CSV quoting, corrupt XML)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class Book(Protocol):
    """A workbook or CSV set, read sheet by sheet."""

    shown: str

    def sheet_names(self) -> list[str]:
        """The names of the sheets, in the book's order."""

    def file_of(self, sheet: str) -> str:
        """The file name shown in locations of this sheet's cells."""

    def rows(self, sheet: str) -> Iterator[Row]:
        """The rows holding anything, in order; raises SheetUnreadable."""

    def merged(self, sheet: str) -> list[MergedRange]:
        """The merged ranges of the sheet (known after its rows were read)."""

    def close(self) -> None:
        """Release the file."""


def _text_cell(value: str) -> RawCell:
    if len(value) > MAX_CELL_CHARS:
        return RawCell(None, f"单元格内容 {len(value)} 字，超过电子表格单元格上限 {MAX_CELL_CHARS} 字"
                             "（Excel 会截断超出部分）", "too-long")
    return RawCell(value)


def _bad_file(shown: str, message: str, code: str = "bad-workbook") -> InputError:
    return InputError(f"无法读取表格记录：{shown}", [Problem(Location(shown), code, message)])


# ---------------------------------------------------------------------------------------------
# XLSX


class _CellParser(WorkSheetParser):
    """openpyxl's sheet parser, reading cached values but telling a formula without one from a blank cell."""

    def parse_cell(self, element: Any) -> dict:
        if element.get("t") == "inlineStr" and element.find(FORMULA_TAG) is None:
            return self._inline_string(element)
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["data_type"] = "formula"
        return cell

    def _inline_string(self, element: Any) -> dict:
        """An inline string cell (as openpyxl and some exporters write text), read without building rich-text objects."""
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        value = None
        child = element.find(INLINE_STRING)
        if child is not None:
            # plain <t>, or rich-text runs <r><t>; phonetic runs (<rPh>) are not part of the value
            parts = [t.text or "" for t in child.findall(_T_TAG)] + [t.text or "" for t in child.findall(_RUN_T)]
            value = "".join(parts)
        return {"row": row, "column": column, "value": value, "data_type": "s", "style_id": 0}


class XlsxBook:
    """An .xlsx/.xlsm workbook opened read-only; sheets are streamed one at a time."""

    def __init__(self, path: Path, shown: str):
        self.shown = shown
        _check_archive(path, shown)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")          # openpyxl warns about unsupported extensions
                self._wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ParseError, ValueError, TypeError,
                AttributeError, IndexError, EOFError, OSError) as exc:
            # openpyxl reports a damaged package with whatever exception the broken part causes
            raise _bad_file(shown, f"无法打开工作簿：文件已损坏或不是 XLSX 格式（{type(exc).__name__}: {exc}）") from None
        self._merged: dict[str, list[MergedRange]] = {}

    def sheet_names(self) -> list[str]:
        """The worksheets' names (chart sheets are not data)."""
        return [ws.title for ws in self._wb.worksheets]

    def file_of(self, sheet: str) -> str:
        """Every sheet is in the one workbook file."""
        return self.shown

    def rows(self, sheet: str) -> Iterator[Row]:
        """Stream the sheet's XML; cells of a row by column, blank cells left out."""
        ws = self._wb[sheet]
        wb = self._wb
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # openpyxl's read-only cells cannot tell "formula without a result" from "blank", so its
                # sheet parser is driven here directly (pinned by the tests of formula cells)
                with ws._get_source() as src:
                    parser = _CellParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                         date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
                    for number, cells in parser.parse():
                        row = {}
                        for cell in cells:
                            raw = _xlsx_cell(cell)
                            if raw is not None:
                                row[cell["column"]] = raw
                        if row:
                            yield number, row
                    self._merged[sheet] = _merged_ranges(parser.merged_cells)
        except (ParseError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise SheetUnreadable(Problem(Location(self.shown, sheet=sheet), "bad-workbook",
                                          f"工作表 {sheet} 已损坏，无法读取（{type(exc).__name__}: {exc}）")) from None

    def merged(self, sheet: str) -> list[MergedRange]:
        """Merged ranges seen while the sheet's rows were read."""
        return self._merged.get(sheet, [])

    def close(self) -> None:
        """Close the workbook's zip file."""
        self._wb.close()


def _check_archive(path: Path, shown: str) -> None:
    """A readable zip of sane size, before openpyxl inflates anything."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _bad_file(shown, f"文件大小 {size} 字节，超过上限 {MAX_FILE_BYTES} 字节", "file-too-large")
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        hint = ""
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            hint = "（这是旧版 Excel 97-2003 .xls 格式或加密的工作簿，请在 Excel 中另存为 .xlsx）"
        elif head.startswith(b"PK"):
            hint = "（文件不完整，可能在复制或下载时被截断）"
        raise _bad_file(shown, f"无法打开工作簿：不是有效的 XLSX 文件{hint}") from None
    except OSError as exc:
        raise _bad_file(shown, f"无法读取文件：{exc.strerror or exc}", "io-error") from None
    if total > MAX_UNZIPPED_BYTES:
        raise _bad_file(shown, f"工作簿解压后 {total} 字节，超过上限 {MAX_UNZIPPED_BYTES} 字节", "file-too-large")


def _xlsx_cell(cell: dict) -> RawCell | None:
    kind = cell["data_type"]
    value = cell["value"]
    if kind == "formula":
        return RawCell(None, "公式没有保存计算结果：请在电子表格程序中打开、重新计算并保存，或直接填写数值", "formula")
    if kind == "e":
        return RawCell(None, f"单元格是错误值 {value}，请改正公式或直接填写数值", "error-value")
    if is_blank(value):
        return None
    if isinstance(value, str):
        return _text_cell(value)
    return RawCell(value)


def _merged_ranges(merged: Any) -> list[MergedRange]:
    if merged is None:
        return []
    out = []
    for item in getattr(merged, "mergeCell", []) or []:
        ref = str(item.ref)
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        out.append(MergedRange(ref, min_col, min_row, max_col, max_row))
    return out


# ---------------------------------------------------------------------------------------------
# CSV


class CsvBook:
    """A directory holding `units.csv` and one CSV file per list sheet (`meetings.csv`, …)."""

    def __init__(self, directory: Path, shown: str):
        self.shown = shown
        self._dir_shown = shown
        try:
            names = sorted(p.name for p in directory.iterdir()
                           if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith((".", "~$")))
        except OSError as exc:
            raise _bad_file(shown, f"无法读取目录：{exc.strerror or exc}", "io-error") from None
        self._files = {Path(n).stem: directory / n for n in names}

    def sheet_names(self) -> list[str]:
        """One sheet per CSV file, named after the file (`meetings.csv` → meetings)."""
        return list(self._files)

    def file_of(self, sheet: str) -> str:
        """The CSV file of a sheet, as shown to users."""
        return str(Path(self._dir_shown) / self._files[sheet].name)

    def rows(self, sheet: str) -> Iterator[Row]:
        """Parse the CSV file (UTF-8, BOM accepted); row numbers count records, as a spreadsheet shows them."""
        path = self._files[sheet]
        shown = self.file_of(sheet)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise SheetUnreadable(Problem(Location(shown, sheet=sheet), "file-too-large",
                                              f"文件大小 {size} 字节，超过上限 {MAX_FILE_BYTES} 字节"))
            raw = path.read_bytes()
        except OSError as exc:
            raise SheetUnreadable(Problem(Location(shown, sheet=sheet), "io-error",
                                          f"无法读取文件：{exc.strerror or exc}")) from None
        try:
            text = decode_utf8(raw, shown)
        except InputError as exc:
            first = exc.problems[0]
            line = first.location.line if first.location else None
            message = first.message
            if "GBK" in message:
                message += "；在 Excel 中请选择 “另存为 → CSV UTF-8（逗号分隔）”"
            raise SheetUnreadable(Problem(Location(shown, sheet=sheet, row=line), first.code, message)) from None
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, _CSV_FIELD_LIMIT))
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        number = 0
        try:
            for record in reader:
                number += 1
                row = {}
                for index, value in enumerate(record, start=1):
                    if not is_blank(value):
                        row[index] = _text_cell(value)
                if row:
                    yield number, row
        except csv.Error as exc:
            raise SheetUnreadable(Problem(Location(shown, sheet=sheet, row=number + 1), "csv-syntax",
                                          f"CSV 格式错误（第 {reader.line_num} 行附近）：{_csv_message(exc)}")) from None

    def merged(self, sheet: str) -> list[MergedRange]:
        """CSV has no merged cells."""
        return []

    def close(self) -> None:
        """Nothing stays open between sheets."""


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return "引号没有闭合，文件可能被截断"
    if "expected" in text and "after" in text:
        return f"引号使用有误：{text}"
    return text


def open_book(path: Path, shown: str) -> Book:
    """The book at `path`: a CSV set for a directory, else an XLSX workbook."""
    if path.is_dir():
        return CsvBook(path, shown)
    return XlsxBook(path, shown)
