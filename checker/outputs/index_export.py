"""`--format index`: index.xlsx and index.csv, one row per checked unit with its 融合度指数 (index.md).

Columns: unit, name, parent, overall, grade, coverage, then one per dimension (its id, as in
findings.json); a dimension or index that is 不适用 is an empty cell. Text a spreadsheet would run as a
formula is kept as text (CSV: a leading ', as ledger.csv does; XLSX: stored as a string cell).
"""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from checker.outputs.index_view import IndexRow, index_row
from checker.outputs.ledger import csv_text
from checker.outputs.ledger_book import clean_text

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext

INDEX_XLSX = "index.xlsx"
INDEX_CSV = "index.csv"
FIXED_COLUMNS = ("unit", "name", "parent", "overall", "grade", "coverage")
FIXED_LABELS = ("单位编号", "单位名称", "上级组织", "融合度指数（0–100）", "等级", "数据覆盖（计分规则占适用规则的比例）")
SHEET_TITLE = "融合度指数"
HELP_SHEET = "说明"


def index_rows(ctx: "OutputContext") -> list[IndexRow]:
    """The rows of the checked units that have an index, in input order."""
    rows = [index_row(u, ctx.extras.get("index_previous")) for u in ctx.units if u.status == "checked"]
    return [r for r in rows if r is not None]


def columns(rows: Sequence[IndexRow]) -> tuple[list[str], list[str]]:
    """Column keys and their Chinese labels: the fixed ones, then one per dimension."""
    dims = [(d.id, d.name) for d in rows[0].index.dimensions] if rows else []
    return (list(FIXED_COLUMNS) + [d for d, _ in dims],
            list(FIXED_LABELS) + [f"{name}（维度得分）" for _, name in dims])


def row_values(row: IndexRow) -> list[Any]:
    """One unit's values in column order (None for 不适用)."""
    idx = row.index
    return [row.unit, row.name, row.parent, idx.overall, idx.grade, idx.coverage] + [d.score for d in idx.dimensions]


def write_index_csv(ctx: "OutputContext") -> list[tuple[str, str]]:
    """index.csv: UTF-8 with BOM (Excel opens it as UTF-8), header = the column keys."""
    rows = index_rows(ctx)
    keys, _ = columns(rows)
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(keys)
    for row in rows:
        out.writerow([csv_text(v) for v in row_values(row)])
    return [(INDEX_CSV, "\ufeff" + buffer.getvalue())]


def _cell(ws: Any, value: Any, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, str):
        value = clean_text(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"            # never a formula, whatever the record's text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_index_xlsx(ctx: "OutputContext") -> list[tuple[str, bytes]]:
    """index.xlsx: sheet 融合度指数 (header = the column keys, one row per unit) and sheet 说明."""
    rows = index_rows(ctx)
    keys, labels = columns(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, k, bold=True) for k in keys])
    for row in rows:
        ws.append([_cell(ws, v) for v in row_values(row)])
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.append([_cell(help_ws, "列", True), _cell(help_ws, "含义", True)])
    for key, label in zip(keys, labels):
        help_ws.append([_cell(help_ws, key), _cell(help_ws, label)])
    help_ws.append([])
    help_ws.append([_cell(help_ws, "空白单元格表示“不适用”：该维度没有发现问题或未发现问题的规则（都不适用或数据缺失）。")])
    help_ws.append([_cell(help_ws, f"{ctx.run.pack_title}（{ctx.run.pack_id} {ctx.run.pack_version}），检查基准日 {ctx.run.as_of}")])
    buffer = io.BytesIO()
    wb.save(buffer)
    return [(INDEX_XLSX, buffer.getvalue())]


def write_index(ctx: "OutputContext") -> list[tuple[str, Any]]:
    """Output format `index`: index.xlsx and index.csv."""
    return write_index_xlsx(ctx) + write_index_csv(ctx)
