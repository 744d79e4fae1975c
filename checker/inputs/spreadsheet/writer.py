"""The formatted records workbook shared by `pbcheck template` and `pbcheck export`.

Every sheet of the layout gets: field names in row 1 (with a comment: Chinese label, help, type,
allowed values), the Chinese labels in row 2, data from row 3, frozen headers, column widths,
text format for text columns (so Excel does not turn `3-1` into a date), and data validation:
drop-downs for single-value enumerations and yes/no columns, date/whole/decimal/length checks, and
input messages listing the values of multi-value cells and open vocabularies. A `说明` sheet explains
how to fill it. All of it is generated from `layout` (i.e. from `checker.inputs.schema`).
"""
from __future__ import annotations

import unicodedata
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from checker.inputs.schema import Scalar
from checker.inputs.spreadsheet.cells import DATE_FORMS, DATE_HINT
from checker.inputs.spreadsheet.layout import GUIDE_SHEET, SHEETS, UNITS_SHEET, Column, Sheet, column_letter

HEADER_ROW = 1
LABEL_ROW = 2
FIRST_DATA_ROW = 3
LAST_ROW = 1_048_576
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
# Excel's limits on data validation texts
_PROMPT_MAX = 255
_TITLE_MAX = 32
_LIST_MAX = 255
# Excel stores date validation bounds as serial numbers: 1900-01-01 … 2099-12-31.
_FIRST_SERIAL = 1
_LAST_SERIAL = 73050

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
_LABEL_FONT = Font(italic=True, color="404040")
_LABEL_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def type_words(column: Column) -> str:
    """A column's type and allowed values in words, as the template and the guide show them."""
    t = column.scalar
    if column.link == "unit":
        text = "文字：units 表中的单位编号"
    elif column.link == "parent":
        return "文字：" + column.help.split("，", 1)[-1]
    elif t.kind == "boolean":
        text = "是 或 否"
    elif t.kind == "date":
        text = f"日期（如 {DATE_FORMS}）"
    elif t.enum:
        text = "以下之一：" + "、".join(t.enum)
    elif t.kind in ("integer", "number"):
        text = t.describe()
    elif t.examples:
        text = "文字，如 " + "、".join(t.examples)
    else:
        text = "文字" + (f"（最长 {t.max_length} 字）" if t.max_length else "")
    if column.multi:
        text = f"可填多个，用 ; 或 、 分隔；每个为{text}"
    return text


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _width(column: Column) -> float:
    t = column.scalar
    width = max(_display_width(column.name), _display_width(column.label_text)) + 2
    if t.kind == "date":
        width = max(width, 12)
    if t.enum:
        width = max(width, max(_display_width(v) for v in t.enum) + 4)
    if column.multi:
        width = max(width, 24)
    if t.kind == "string" and (t.max_length or 0) > 500:
        width = max(width, 48)
    return min(width, 60)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _validation(column: Column) -> DataValidation:
    """The data validation of a column: a drop-down, a bound, or only an input message."""
    t: Scalar = column.scalar
    prompt = _clip(f"{column.help}。{type_words(column)}", _PROMPT_MAX)
    options = dict(allow_blank=True, showInputMessage=True, promptTitle=_clip(column.label_text, _TITLE_MAX),
                   prompt=prompt, showErrorMessage=True, errorTitle=_clip(f"{column.name} 取值有误", _TITLE_MAX))
    if column.multi:
        return DataValidation(**options)
    if t.kind == "boolean":
        return DataValidation(type="list", formula1='"是,否"', error="请从下拉列表选择 是 或 否", **options)
    if t.enum:
        listed = ",".join(t.enum)
        assert len(listed) + 2 <= _LIST_MAX and not any("," in v for v in t.enum), column.name
        return DataValidation(type="list", formula1=f'"{listed}"',
                              error=_clip("请从下拉列表选择：" + "、".join(t.enum), _PROMPT_MAX), **options)
    if t.kind == "date":
        return DataValidation(type="date", operator="between", formula1=str(_FIRST_SERIAL),
                              formula2=str(_LAST_SERIAL), errorStyle="warning",
                              error=_clip(f"应为日期，{DATE_HINT}", _PROMPT_MAX), **options)
    if t.kind in ("integer", "number"):
        lo = "" if t.minimum is None else _number(t.minimum)
        hi = "" if t.maximum is None else _number(t.maximum)
        return DataValidation(type="whole" if t.kind == "integer" else "decimal", operator="between",
                              formula1=lo, formula2=hi, error=f"应为{t.describe()}", **options)
    if t.max_length:
        return DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(t.max_length),
                              error=f"最长 {t.max_length} 字", **options)
    return DataValidation(**options)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _comment(column: Column) -> Comment:
    lines = [column.label_text, column.help, f"填写：{type_words(column)}"]
    comment = Comment("\n".join(lines), "pbcheck")
    comment.width = 320
    comment.height = 140
    return comment


def format_sheet(ws: Worksheet, sheet: Sheet) -> None:
    """Headers, labels, comments, widths, formats, validations and frozen panes of one data sheet."""
    for index, column in enumerate(sheet.columns, start=1):
        letter = column_letter(index)
        head = ws.cell(HEADER_ROW, index, column.name)
        head.font = _HEADER_FONT
        head.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        head.comment = _comment(column)
        label = ws.cell(LABEL_ROW, index, column.label_text)
        label.font = _LABEL_FONT
        label.fill = _LABEL_FILL
        label.alignment = _WRAP
        dim = ws.column_dimensions[letter]
        dim.width = _width(column)
        if column.scalar.kind == "date" and not column.multi:
            dim.number_format = DATE_FORMAT
        elif column.scalar.kind == "string" or column.multi:
            dim.number_format = TEXT_FORMAT
        validation = _validation(column)
        ws.add_data_validation(validation)
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")
    ws.row_dimensions[LABEL_ROW].height = 30
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1 if sheet.name == UNITS_SHEET else 2)
    ws.sheet_properties.tabColor = "C00000" if sheet.name == UNITS_SHEET else "305496"


def guide_rows() -> list[list[str]]:
    """The text of the `说明` sheet: how to fill the workbook, then every sheet and column."""
    nested = "、".join(f"{s.name}（用 {s.parent_link.name} 注明所属{s.parent.record.label}）"
                      for s in SHEETS if s.parent is not None)
    rows: list[list[str]] = [
        ["单位记录填报说明（pbcheck 记录模板）"],
        [],
        ["怎样填写"],
        ["1. 每个工作表第 1 行是字段名，请勿修改；第 2 行是中文说明；从第 3 行起每行填写一条记录。红色表头为必填列。"],
        ["2. units 表每行一个单位（党组织），unit_id 是单位编号，在全部记录中不得重复。"],
        ["3. 其余各表每行一条记录（一名班子成员、一次会议、一项培训……），用 unit_id 列注明属于哪个单位，"
         "须与 units 表中的编号完全一致。"],
        [f"4. 嵌套的表还要注明上级记录：{nested}。"],
        [f"5. 日期请按日期格式填写，或写作 {DATE_FORMS}；只写年月、或 3/12/2025 这类"
         "无法确定年月日的写法会被视为错误。"],
        ["6. 是/否 列请从下拉列表选择；有下拉列表的列只能填列表中的值。"],
        ["7. 可填多个值的单元格（如 议题类别、佐证材料、评价方法）用分号 ; ；或顿号 、 分隔，如 “党建、业务”。"],
        ["8. 没有的信息请留空：留空表示“未记录”，部分检查规则按“无记录视同未落实”处理。"],
        ["9. 请勿合并单元格；可以使用公式，但保存前须计算出结果（在 Excel、WPS 或 LibreOffice 中保存即可）。"],
        ["10. 填好后运行 “pbcheck check-records 文件名.xlsx” 检查记录；加 --annotate 会另存一份标出问题单元格的副本。"
         "检查通过后运行 “pbcheck run 文件名.xlsx”。"],
        [],
        ["工作表", "内容", "每行是"],
    ]
    for sheet in SHEETS:
        if sheet.name == UNITS_SHEET:
            rows.append([sheet.name, "单位基本情况、检查期间、委员会、考核", "一个单位"])
        else:
            rows.append([sheet.name, sheet.label, f"一条{sheet.record.label}记录"])
    rows += [[], ["工作表", "列（字段名）", "中文名", "必填", "填写", "说明"]]
    for sheet in SHEETS:
        for column in sheet.columns:
            rows.append([sheet.name, column.name, column.label, "是" if column.required else "",
                         type_words(column), column.help])
    return rows


def format_guide(ws: Worksheet) -> None:
    """Write the `说明` sheet."""
    rows = guide_rows()
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    ws["A1"].font = Font(bold=True, size=14)
    for r, values in enumerate(rows, start=1):
        if values and values[0] in ("怎样填写", "工作表"):
            for c in range(1, len(values) + 1):
                ws.cell(r, c).font = Font(bold=True)
        elif len(values) == 1 and r > 1:
            # a sentence of the instructions: one wide wrapped cell, so it prints and reads as a paragraph
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
            ws.cell(r, 1).alignment = _WRAP
            ws.row_dimensions[r].height = 32
    for letter, width in zip("ABCDEF", (18, 30, 26, 6, 50, 60)):
        ws.column_dimensions[letter].width = width
    ws.sheet_properties.tabColor = "70AD47"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def new_workbook() -> tuple[Workbook, dict[str, Worksheet]]:
    """An empty formatted records workbook: the guide first, then every sheet of the layout."""
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    format_guide(guide)
    sheets: dict[str, Worksheet] = {}
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        format_sheet(ws, sheet)
        sheets[sheet.name] = ws
    return wb, sheets
