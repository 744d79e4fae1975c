"""Converting one spreadsheet cell to the value the schema asks for.

Cells are loosely typed: Excel stores dates as numbers with a date format, people type `2025/3/12`
or `3` into text cells, CSV has only text. `convert` turns a cell into the typed value wherever the
reading is unambiguous, and otherwise hands the cell on unchanged, with a note saying why, so that
the records validator (the single place that decides what is valid) rejects it with its usual
"期望 … 实际 …" message.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from checker.inputs.schema import Scalar

# Excel refuses longer cell texts (and truncates them on opening a CSV).
MAX_CELL_CHARS = 32_767
SEPARATORS = ";；、"
_SPLIT = re.compile(f"[{SEPARATORS}]")
TRUE_WORDS = ("是", "true")
FALSE_WORDS = ("否", "false")
EXCEL_ERRORS = ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA")

_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
# Thousands separators only where no other reading exists: at least two groups, or groups and a decimal point.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?|[+-]?\d{1,3}(?:,\d{3})+\.\d+")
_ONE_GROUP = re.compile(r"[+-]?\d{1,3},\d{3}")
_PERCENT = re.compile(r"(.+?)\s*%")
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.0+)?)?)?")
_CHINESE_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_LIKE = re.compile(r"\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}日?(?:[ T].*)?")

DATE_FORMS = "2025-03-12、2025/3/12 或 2025年3月12日"
DATE_HINT = f"请写作 {DATE_FORMS}"
_MAX_DIGITS = 30          # longer "numbers" are no count or amount of this schema (and int() refuses > 4300 digits)
BOOL_HINT = "（请填写 是 或 否）"


@dataclass(frozen=True)
class Converted:
    """A cell's value for the validator, and a note explaining a value that could not be converted."""

    value: Any
    note: str | None = None


def is_blank(raw: Any) -> bool:
    """An empty cell: nothing, or only whitespace."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def convert(scalar: Scalar, raw: Any) -> Converted:
    """Convert one cell (not blank) to a value of `scalar`'s kind where that reading is unambiguous."""
    if scalar.kind == "string":
        return _string(raw)
    if scalar.kind in ("integer", "number"):
        return _number(scalar, raw)
    if scalar.kind == "boolean":
        return _boolean(raw)
    if scalar.kind == "date":
        return _date(raw)
    raise AssertionError(f"unknown scalar kind {scalar.kind}")


def convert_multi(scalar: Scalar, raw: Any) -> Converted:
    """A multi-value cell (`党建、业务`, `a.pdf; b.pdf`) as a list of converted values."""
    if isinstance(raw, str):
        parts = [p.strip() for p in _SPLIT.split(raw)]
        items = [convert(scalar, p) for p in parts if p]
    else:
        items = [convert(scalar, raw)]
    notes = [c.note for c in items if c.note]
    return Converted([c.value for c in items], notes[0] if notes else None)


def split_multi(values: list[Any]) -> str | None:
    """The inverse of `convert_multi` for writing: None if an item itself contains a separator."""
    texts = [str(v) for v in values]
    if any(_SPLIT.search(t) for t in texts):
        return None
    return "、".join(texts)


def _string(raw: Any) -> Converted:
    if isinstance(raw, str):
        return Converted(raw.strip())
    if isinstance(raw, bool):
        return Converted(raw, "（单元格是逻辑值 TRUE/FALSE，请改为文字）")
    if isinstance(raw, int):
        return Converted(str(raw))
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return Converted(str(int(raw)))
        return Converted(repr(raw))
    if isinstance(raw, dt.datetime):
        # a date cell where text belongs is what Excel makes of `3-1` or `2025.3`: what was typed is lost
        return Converted(raw, "（单元格被电子表格识别成了日期；如是编号或文字，请把该列设为文本格式后重新输入）")
    if isinstance(raw, dt.date):
        return Converted(raw.isoformat())
    return Converted(raw)


def _number(scalar: Scalar, raw: Any) -> Converted:
    if isinstance(raw, bool):
        return Converted(raw, "（单元格是逻辑值 TRUE/FALSE，请填写数字）")
    if isinstance(raw, (int, float)):
        return Converted(raw)
    if isinstance(raw, (dt.date, dt.datetime)):
        return Converted(raw, "（单元格被设成了日期格式，请改为常规或数值格式后重新填写）")
    if not isinstance(raw, str):
        return Converted(raw)
    text = unicodedata.normalize("NFKC", raw).strip().replace("−", "-")
    if len(text) > _MAX_DIGITS:
        return Converted(raw, "（数字位数过多）" if text.isdigit() else None)
    if text in EXCEL_ERRORS:
        return Converted(raw, f"（单元格是错误值 {text}）")
    percent = _PERCENT.fullmatch(text)
    if percent:
        if scalar.maximum != 1:
            return Converted(raw, "（百分数只能用于 0–1 的比例字段）")
        number = _parse_number(percent.group(1))
        if number is None:
            return Converted(raw)
        return Converted(float(Decimal(percent.group(1).replace(",", "")) / 100))
    number = _parse_number(text)
    if number is not None:
        return Converted(number)
    if _ONE_GROUP.fullmatch(text):
        return Converted(raw, f"（“{text}” 中的逗号既可能是千位分隔符也可能是小数点，请去掉逗号）")
    return Converted(raw)


def _parse_number(text: str) -> int | float | None:
    """An unambiguous decimal number (with valid thousands groups), else None."""
    text = text.strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if _INT.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        try:
            value = float(Decimal(text))
        except (InvalidOperation, OverflowError):
            return None
        return value if math.isfinite(value) else None
    return None


def _boolean(raw: Any) -> Converted:
    if isinstance(raw, bool):
        return Converted(raw)
    if isinstance(raw, str):
        word = unicodedata.normalize("NFKC", raw).strip().lower()
        if word in TRUE_WORDS:
            return Converted(True)
        if word in FALSE_WORDS:
            return Converted(False)
    return Converted(raw, BOOL_HINT)


def _date(raw: Any) -> Converted:
    if isinstance(raw, dt.datetime):
        if raw.time() == dt.time(0):
            return Converted(raw.date())
        return Converted(raw, "（日期带有时间，请只填写日期）")
    if isinstance(raw, dt.date):
        return Converted(raw)
    if isinstance(raw, bool):
        return Converted(raw, f"（{DATE_HINT}）")
    if isinstance(raw, (int, float)):
        shown = int(raw) if isinstance(raw, float) and raw.is_integer() else raw
        return Converted(raw, f"（数字 {shown} 不是日期：请把单元格设为日期格式，或写作 {DATE_FORMS}）")
    if not isinstance(raw, str):
        return Converted(raw)
    text = unicodedata.normalize("NFKC", raw).strip()
    match = _YMD.fullmatch(text)
    if match:
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
        hour, minute, second = (int(match.group(i) or 0) for i in (5, 6, 7))
        if (hour, minute, second) != (0, 0, 0):
            return Converted(raw, "（日期带有时间，请只填写日期）")
    else:
        match = _CHINESE_DATE.fullmatch(text)
        if not match:
            note = f"（日期写法无法确定年月日，{DATE_HINT}）" if _DATE_LIKE.fullmatch(text) else f"（{DATE_HINT}）"
            return Converted(raw, note)
        year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    try:
        return Converted(dt.date(year, month, day))
    except ValueError:
        return Converted(raw, "（不存在的日期）")
