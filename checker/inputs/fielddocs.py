"""`docs/records.md`: the record field reference in Chinese and English, generated from the schema.

Walks the same `checker.inputs.schema` tree the validator, the JSON Schema and the workbook template
use, so the reference cannot drift from what pbcheck accepts (a test compares the committed file).
Each list of records is one section, matching one sheet of the workbook; each field one row with
its YAML/JSON path, its Chinese label, type and bounds, an example where the schema has one, and
the workbook column that holds it.
"""
from __future__ import annotations

from checker.inputs.records import SEMANTIC_RULES, key_fields
from checker.inputs.schema import Scalar
from checker.inputs.spreadsheet.layout import SHEETS, Column, Sheet

GENERATED_NOTE = ("<!-- 本文件由 `pbcheck schema --format md --out docs/records.md` 根据记录定义生成，"
                  "请勿手工修改；记录定义有变动时重新运行该命令。 -->")
DATE_FORMS = "2025-03-12、2025/3/12、2025年3月12日（表格中也可直接填日期单元格）"
KIND_WORDS = {"string": "文字", "integer": "整数", "number": "数值", "boolean": "是/否", "date": "日期"}


def records_markdown() -> str:
    """The whole field reference as Markdown."""
    lines = [GENERATED_NOTE, "", "# 记录字段参考（Record field reference）", ""]
    lines += _introduction()
    lines += ["## 目录", ""]
    lines += [f"- [{_sheet_title(s)}](#sheet-{s.name})" for s in SHEETS]
    lines.append("")
    for sheet in SHEETS:
        lines += _sheet_section(sheet)
    return "\n".join(lines).rstrip("\n") + "\n"


def _introduction() -> list[str]:
    return [
        "每个基层党组织（单位）一条记录。记录可以写成 YAML/JSON 文件（一个单位一个文件、"
        "一个文件含 `units:` 列表，或 JSON Lines 每行一个单位），也可以填在 `pbcheck template` "
        "生成的 Excel 工作簿里：工作表 `units` 每行一个单位，其余每个列表一张工作表，每行以 `unit_id` "
        "注明所属单位。下面每节对应工作簿的一张工作表，每行是一个字段。",
        "",
        "One record per grassroots party organisation (unit), as YAML/JSON (one unit per file, a "
        "`units:` list, or JSON Lines) or as the workbook of `pbcheck template`. Each section below is "
        "one sheet of the workbook; each row one field: its path in YAML/JSON, its Chinese label, its "
        "type and bounds, and the workbook column that holds it.",
        "",
        "填写约定（Conventions）：",
        "",
        f"- 日期可写作 {DATE_FORMS}；`3/12/2025` 这类有歧义的写法会被报告，不会被猜测。",
        "- 是/否列填 是 或 否（YAML/JSON 中为 true/false）。",
        "- 一个单元格中的多个值用 `;` 或 `、` 分隔。",
        "- 非必填字段可以留空；留空的列表表示“没有记录”，相应规则的状态为“数据缺失”或“不适用”，不会凭空判定为问题。",
        "- 数字可以是文本形式，只要读法唯一（`12,650` 这类写法会被报告）。",
        "",
    ]


def _sheet_title(sheet: Sheet) -> str:
    where = "单位本身" if sheet.list_path is None else f"`{_yaml_path(sheet)}`"
    return f"工作表 {sheet.name} —— {sheet.label}（{where}）"


def _yaml_path(sheet: Sheet) -> str:
    if sheet.list_path is None:
        return ""
    return "".join(f"{part}[]." for part in sheet.list_path.split(".")).rstrip(".")


def _sheet_section(sheet: Sheet) -> list[str]:
    lines = [f'<a id="sheet-{sheet.name}"></a>', "", f"## {_sheet_title(sheet)}", ""]
    lines += _record_notes(sheet)
    lines += ["| 字段 (field) | 中文名 | 类型与取值 | 必填 | 说明 | 工作簿列 |", "|---|---|---|---|---|---|"]
    for column in sheet.columns:
        lines.append(_column_row(sheet, column))
    lines.append("")
    return lines


def _record_notes(sheet: Sheet) -> list[str]:
    rec = sheet.record
    notes: list[str] = []
    if sheet.list_path is not None:
        link = sheet.parent_link
        notes.append(f"每行一条{rec.label}，以 `unit_id` 注明所属单位"
                     + (f"，以 `{link.name}` 注明所属{sheet.parent.record.label}"
                        if sheet.parent is not None and link is not None else "") + "。")
    keys = key_fields(rec)
    if keys:
        notes.append(f"条目键（item key）：{' + '.join(f'`{k}`' for k in keys)}，在单位内唯一；检查发现和整改台账用它指明是哪一条。")
    elif rec.key_help and sheet.list_path is not None:
        notes.append(f"条目键（item key）：`{rec.key_help}`（按出现顺序编号，从 1 开始）。")
    for rule in SEMANTIC_RULES.get(rec.name, ()):
        notes.append(f"另需满足：{rule}。")
    return [*(f"- {n}" for n in notes), ""] if notes else []


def _column_row(sheet: Sheet, column: Column) -> str:
    if column.link is not None:
        field_path = "（链接列）"
        kind = "文字"
    else:
        field_path = f"`{_field_path(sheet, column)}`"
        kind = _type_words(column.scalar, column.multi)
    required = "是" if column.required else ""
    return "| " + " | ".join(_cell(x) for x in (
        field_path, column.label, kind, required, column.help, f"`{column.name}`")) + " |"


def _field_path(sheet: Sheet, column: Column) -> str:
    prefix = _yaml_path(sheet)
    path = ".".join(column.path)
    return f"{prefix}.{path}" if prefix else path


def _type_words(scalar: Scalar, multi: bool) -> str:
    if scalar.enum:
        text = "以下之一：" + "、".join(scalar.enum)
    elif scalar.kind == "date":
        text = "日期（写法见填写约定）"
    else:
        text = KIND_WORDS[scalar.kind]
        bounds = _bounds(scalar)
        if bounds:
            text += f"（{bounds}）"
    if scalar.examples:
        text += "；例如 " + "、".join(scalar.examples[:6])
    if multi:
        text = f"多个值，用 ; 或 、 分隔，每个为{text}"
    return text


def _bounds(scalar: Scalar) -> str:
    if scalar.kind == "string":
        return f"至多 {scalar.max_length} 字" if scalar.max_length else ""
    if scalar.minimum is None and scalar.maximum is None:
        return ""
    lo = _number(scalar.minimum)
    hi = _number(scalar.maximum)
    return f"{lo}–{hi}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "")
    return str(value)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")

