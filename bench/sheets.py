"""Writing generated units as a records workbook (XLSX, openpyxl write-only) or a CSV set, streaming.

Units are taken in blocks; within a block the rows of each sheet are interleaved unit by unit, so a
unit's rows are scattered over every sheet as in a workbook filled by several people. Rows are the
ones `pbcheck export` writes (`checker.inputs.spreadsheet.export.unit_rows`), so reading the result
back gives the same units.
"""
from __future__ import annotations

import csv
import datetime as dt
from contextlib import ExitStack
from itertools import islice, zip_longest
from pathlib import Path
from typing import Any, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from checker.errors import Location
from checker.inputs.records import UnitRecord, validate_unit
from checker.inputs.spreadsheet.export import csv_text, unit_rows
from checker.inputs.spreadsheet.layout import SHEETS


def _records(units: Iterable[dict]) -> Iterator[UnitRecord]:
    for data in units:
        out, problems = validate_unit(data, "generated")
        if problems:
            raise ValueError(f"generated unit {data.get('unit_id')} is invalid: {problems[0]}")
        yield UnitRecord(out["unit_id"], out, "generated", Location("generated"))


def _blocks(units: Iterable[dict], size: int) -> Iterator[dict[str, list[list[Any]]]]:
    """Per block of units, every sheet's rows with the units' rows interleaved."""
    records = _records(units)
    while True:
        block = list(islice(records, size))
        if not block:
            return
        per_unit = [unit_rows([record])[0] for record in block]
        yield {sheet.name: [row for group in zip_longest(*(rows[sheet.name] for rows in per_unit))
                            for row in group if row is not None]
               for sheet in SHEETS}


def write_sheets(units: Iterable[dict], form: str, out: Path, block: int) -> None:
    """Write the units as `out` (an .xlsx file, or a directory for a CSV set)."""
    if form == "xlsx":
        _xlsx(units, out, block)
    else:
        _csv(units, out, block)


def _xlsx(units: Iterable[dict], out: Path, block: int) -> None:
    wb = Workbook(write_only=True)
    sheets = {}
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.append([c.name for c in sheet.columns])
        ws.append([c.label_text for c in sheet.columns])
        sheets[sheet.name] = ws
    for rows in _blocks(units, block):
        for name, sheet_rows in rows.items():
            ws = sheets[name]
            for values in sheet_rows:
                ws.append([_xlsx_cell(ws, v) for v in values])
    wb.save(out)


def _xlsx_cell(ws, value: Any) -> Any:
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def _csv(units: Iterable[dict], out: Path, block: int) -> None:
    with ExitStack() as stack:
        writers = {}
        for sheet in SHEETS:
            handle = stack.enter_context((out / f"{sheet.name}.csv").open("w", encoding="utf-8-sig", newline=""))
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([c.name for c in sheet.columns])
            writer.writerow([c.label_text for c in sheet.columns])
            writers[sheet.name] = writer
        for rows in _blocks(units, block):
            for name, sheet_rows in rows.items():
                writers[name].writerows([csv_text(v) for v in values] for values in sheet_rows)
