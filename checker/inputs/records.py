"""The unit record model (records.md) and its validation against `schema`.

`validate_unit` checks one unit mapping and returns the normalised data or the list of problems;
`UnitRecord` is a unit that passed, `InvalidUnit` one that did not (or a file that could not be read
as units). Reading files is `checker.inputs.loaders`; workbooks (XLSX) and CSV sets are turned into
the same unit mappings by `checker.inputs.spreadsheet` and go through the same validation.

Field paths in problems are relative to the unit and use 0-based list indices, as JSON Schema
validators and jq do: `meetings[2].present` is the third meeting.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from checker.inputs import schema
from checker.errors import Location, Problem
from checker.inputs.period import Period
from checker.inputs.schema import UNIT, Field, FieldType, ListOf, Record, Scalar
from checker.inputs.source import Document, Span, key_span_of, span_of

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOW_CHARS = 40


class _Invalid:
    """Marks a value that failed validation, so later checks (keys, references) skip it."""

    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Any = _Invalid()


@dataclass(frozen=True)
class UnitRecord:
    """A unit that passed validation: its normalised data (every schema field present) and its origin."""

    unit_id: str
    data: dict
    source: str
    location: Location

    @property
    def period(self) -> Period:
        """The review period of the unit."""
        return Period(self.data["period"]["start"], self.data["period"]["end"])

    @property
    def name(self) -> str:
        """The name of the party organisation."""
        return self.data["name"]

    @property
    def parent(self) -> str | None:
        """The parent organisation, if given."""
        return self.data["parent"]

    @property
    def org_type(self) -> str | None:
        """党支部, 党总支 or 基层党委, if given."""
        return self.data["org_type"]


@dataclass(frozen=True)
class InvalidUnit:
    """A unit that failed validation, with all its problems; `unit_id` is None for a file that could not be
    read as units (syntax, encoding, not a mapping) or a unit without a usable `unit_id`."""

    unit_id: str | None
    name: str | None
    parent: str | None
    source: str
    problems: tuple[Problem, ...]
    location: Location | None = None


# ---------------------------------------------------------------------------------------------
# Validation


def validate_unit(data: Any, source: Document | str, *, span: Span | None = None) -> tuple[dict | None, list[Problem]]:
    """Check one unit mapping against records.md: (normalised data, []) or (None, every problem found)."""
    out, problems = validate_partial(data, source, span)
    return (None, problems) if problems else (out, [])


def validate_partial(data: Any, source: Document | str, span: Span | None,
              place: Callable[[str], str | None] | None = None) -> tuple[Any, list[Problem]]:
    """Validate and normalise; returns the (possibly partial) normalised unit and the sorted problems.

    `place` names where an element is in words (`meetings 表第5行`) for messages that point at another
    element (duplicate keys); without it, YAML/JSON line numbers are used.
    """
    if isinstance(source, Document):
        checker = _Validator(source.path, source.text, place)
    else:
        checker = _Validator(str(source), None, place)
    out = checker.record(UNIT, data, "", span if span is not None else getattr(data, "span", None))
    if isinstance(out, dict):
        checker.unit_references(out, data)
    problems = checker.problems
    unit_id = text_or_none(out.get("unit_id")) if isinstance(out, dict) else None
    if unit_id is not None:
        problems = [replace(p, unit=unit_id) for p in problems]
    problems.sort(key=problem_order)
    return out, problems


def problem_order(p: Problem) -> tuple[int, int]:
    """Problems of a text file in reading order: by line, then column."""
    loc = p.location
    return ((loc.line or 0) if loc else 0, (loc.col or 0) if loc else 0)


def text_or_none(value: Any) -> str | None:
    """The value if it is text, else None."""
    return value if isinstance(value, str) else None


class _Validator:
    """One pass over a unit: checks every field, builds the normalised copy, collects the problems."""

    def __init__(self, file: str, text: str | None, place: Callable[[str], str | None] | None = None):
        self.file = file
        self.text = text
        self.place = place
        self.problems: list[Problem] = []

    # -- reporting --------------------------------------------------------------------------

    def report(self, span: Span | None, code: str, path: str, message: str,
               expected: str | None = None, found: str | None = None) -> None:
        """Record one problem at `span` (None: position unknown)."""
        location = Location(self.file, span.line, span.col) if span else Location(self.file)
        self.problems.append(Problem(location, code, f"{_shown_path(path)}：{message}", None, path or None,
                                     expected, found))

    def mismatch(self, span: Span | None, code: str, path: str, expected: str, value: Any,
                 note: str = "") -> Any:
        """Report that `value` is not what was expected; returns the invalid marker."""
        found = describe_value(value)
        self.report(span, code, path, f"期望 {expected}，实际 {found}{note}", expected, found)
        return _INVALID

    # -- structure --------------------------------------------------------------------------

    def record(self, rec: Record, data: Any, path: str, span: Span | None) -> Any:
        """Validate a mapping of type `rec`; returns a dict with every field of `rec` (or the marker)."""
        if not isinstance(data, dict):
            return self.mismatch(span, "type-error", path, rec.describe(), data)
        here = getattr(data, "span", None) or span
        for key in data:
            if not isinstance(key, str) or rec.field(key) is None:
                self.unknown_field(rec, data, key, path, here)
        out: dict[str, Any] = {}
        for f in rec.fields:
            child = _join(path, f.name)
            if f.name not in data:
                if f.required:
                    self.report(here, "required", child, f"缺少必填字段（{f.label}）", f.type.describe(), "缺失")
                    out[f.name] = _INVALID
                else:
                    out[f.name] = skeleton(f.type)
                continue
            out[f.name] = self.field_value(f, data[f.name], child, span_of(data, f.name) or here)
        check = _SEMANTIC_CHECKS.get(rec.name)
        if check is not None:
            check(self, out, data, path, here)
        return out

    def unknown_field(self, rec: Record, data: dict, key: Any, path: str, here: Span | None) -> None:
        """Report a field name the schema does not know, suggesting the closest known one."""
        names = [f.name for f in rec.fields]
        shown = str(key)
        hint = suggest(shown, names, {f.label: f.name for f in rec.fields if f.label})
        note = f"；是否为 “{hint}”？" if hint else f"（{rec.label}记录可用字段：{'、'.join(names)}）"
        self.report(key_span_of(data, key) or here, "unknown-field", _join(path, shown),
                    f"未知字段 “{shown}”{note}", None, shown)

    def field_value(self, f: Field, value: Any, path: str, span: Span | None) -> Any:
        """Validate the value of field `f` (present in the input)."""
        if value is None or (isinstance(f.type, Scalar) and isinstance(value, str) and not value.strip()):
            if f.required:
                found = describe_value(value)
                self.report(span, "required", path, f"必填字段（{f.label}）不能为空", f.type.describe(), found)
                return _INVALID
            return skeleton(f.type)
        return self.value(f.type, value, path, span)

    def value(self, ftype: FieldType, value: Any, path: str, span: Span | None) -> Any:
        """Validate a non-null value of any field type."""
        if isinstance(ftype, Scalar):
            return self.scalar(ftype, value, path, span)
        if isinstance(ftype, Record):
            return self.record(ftype, value, path, span)
        return self.list_value(ftype, value, path, span)

    def list_value(self, ftype: ListOf, value: Any, path: str, span: Span | None) -> Any:
        """Validate a list; every element is checked, and record elements must have unique item keys."""
        if not isinstance(value, list):
            return self.mismatch(span, "type-error", path, ftype.describe(), value)
        out = []
        item = ftype.item
        for index, element in enumerate(value):
            child = f"{path}[{index}]"
            where = span_of(value, index) or span
            if element is None or (isinstance(element, str) and not element.strip()):
                found = describe_value(element)
                self.report(where, "required", child, "列表元素不能为空", item.describe(), found)
                out.append(_INVALID)
                continue
            out.append(self.value(item, element, child, where))
        if isinstance(item, Record):
            self.unique_keys(item, out, value, path, span)
        return out

    def unique_keys(self, rec: Record, out: list, raw: list, path: str, span: Span | None) -> None:
        """Report elements whose item key (records.md "Item keys") repeats an earlier one."""
        fields = key_fields(rec)
        if not fields:
            return
        seen: dict[str, tuple[int, Span | None]] = {}
        for index, element in enumerate(out):
            if not isinstance(element, dict) or any(element[f] is None or element[f] is _INVALID for f in fields):
                continue
            key = schema.item_key(rec, element, index + 1)
            element_raw = raw[index]
            if len(fields) == 1:
                where = span_of(element_raw, fields[0]) or span_of(raw, index) or span
                child = f"{path}[{index}].{fields[0]}"
            else:
                where = span_of(raw, index) or span
                child = f"{path}[{index}]"
            if key in seen:
                first_index, first_span = seen[key]
                first_path = f"{path}[{first_index}]"
                first = self.place(first_path) if self.place is not None else None
                if first is None:
                    first = (f"第 {first_span.line} 行的 " if first_span else "") + first_path
                self.report(where, "duplicate-key", child,
                            f"{rec.label}的键 “{key}”（{' + '.join(fields)}）与{first} 重复，"
                            f"单位内必须唯一", "单位内唯一的键", key)
            else:
                seen[key] = (index, where)

    # -- scalars ----------------------------------------------------------------------------

    def scalar(self, t: Scalar, value: Any, path: str, span: Span | None) -> Any:
        """Validate one scalar strictly (no "3" for 3, no true for 1) and normalise it."""
        if t.kind == "string":
            return self.string(t, value, path, span)
        if t.kind in ("integer", "number"):
            return self.number(t, value, path, span)
        if t.kind == "boolean":
            if isinstance(value, bool):
                return value
            note = "（只接受 true 或 false）" if isinstance(value, str) else ""
            return self.mismatch(span, "type-error", path, t.describe(), value, note)
        if t.kind == "date":
            return self.date(t, value, path, span)
        raise AssertionError(f"unknown scalar kind {t.kind}")

    def string(self, t: Scalar, value: Any, path: str, span: Span | None) -> Any:
        """Text; whole numbers and dates written without quotes are taken as the text they were written as."""
        if isinstance(value, str):
            text = value
        elif isinstance(value, int) and not isinstance(value, bool):
            text = self.source_text(value, span)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            text = value.isoformat()
        else:
            note = "（如需文字请加引号）" if isinstance(value, (bool, float)) else ""
            return self.mismatch(span, "type-error", path, t.describe(), value, note)
        if t.enum is not None and text not in t.enum:
            hint = suggest(text, list(t.enum))
            return self.mismatch(span, "enum", path, t.describe(), value, f"；是否为 “{hint}”？" if hint else "")
        if t.max_length is not None and len(text) > t.max_length:
            expected = f"字符串（最长 {t.max_length} 字）"
            found = f"{len(text)} 字"
            self.report(span, "too-long", path, f"期望 {expected}，实际 {found}", expected, found)
            return _INVALID
        return text

    def source_text(self, value: int, span: Span | None) -> str:
        """How an unquoted whole number was written (`007` stays `007`), else its decimal form."""
        if self.text is not None and span is not None and span.style is None and span.end > span.start:
            written = self.text[span.start:span.end].strip()
            try:
                if int(written) == value:
                    return written
            except ValueError:
                pass
        return str(value)

    def number(self, t: Scalar, value: Any, path: str, span: Span | None) -> Any:
        """An integer or a number within the field's bounds; bools, NaN and infinities are rejected."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            note = "（数字不要加引号）" if isinstance(value, str) and _looks_numeric(value) else ""
            return self.mismatch(span, "type-error", path, t.describe(), value, note)
        if isinstance(value, float):
            if not math.isfinite(value):
                return self.mismatch(span, "bad-number", path, t.describe(), value)
            if t.kind == "integer":
                if not value.is_integer():
                    return self.mismatch(span, "type-error", path, t.describe(), value)
                value = int(value)
        if (t.minimum is not None and value < t.minimum) or (t.maximum is not None and value > t.maximum):
            return self.mismatch(span, "range", path, t.describe(), value)
        return value

    def date(self, t: Scalar, value: Any, path: str, span: Span | None) -> Any:
        """A `datetime.date`, or an ISO `YYYY-MM-DD` string (JSON has no dates)."""
        if isinstance(value, dt.datetime):
            if value.time() == dt.time(0) and value.tzinfo is None:
                return value.date()
            return self.mismatch(span, "type-error", path, t.describe(), value)
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return self.mismatch(span, "bad-date", path, t.describe(), value, "（不存在的日期）")
        return self.mismatch(span, "type-error", path, t.describe(), value)

    # -- whole-unit checks ------------------------------------------------------------------

    def unit_references(self, out: dict, data: Any) -> None:
        """`major_decisions[].prestudy_meeting` must name a meeting of the same unit."""
        meetings = out.get("meetings")
        decisions = out.get("major_decisions")
        if not isinstance(meetings, list) or not isinstance(decisions, list):
            return
        ids: list[str] = []
        for meeting in meetings:
            if not isinstance(meeting, dict) or not isinstance(meeting["id"], str):
                return       # a meeting without a readable id: a "not found" here would only be noise
            ids.append(meeting["id"])
        known = set(ids)
        raw = data.get("major_decisions") if isinstance(data, dict) else None
        for index, decision in enumerate(decisions):
            if not isinstance(decision, dict):
                continue
            ref = decision["prestudy_meeting"]
            if not isinstance(ref, str) or ref in known:
                continue
            element = raw[index] if isinstance(raw, list) else None
            where = span_of(element, "prestudy_meeting") or span_of(raw, index)
            hint = suggest(ref, ids)
            note = f"；是否为 “{hint}”？" if hint else ""
            self.report(where, "reference", f"major_decisions[{index}].prestudy_meeting",
                        f"前置研究会议 “{ref}” 不是本单位 meetings 中的会议编号{note}",
                        "本单位某次会议的 id", ref)


def _check_period(v: _Validator, out: dict, data: dict, path: str, here: Span | None) -> None:
    start, end = out["start"], out["end"]
    if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
        v.report(span_of(data, "end") or here, "inconsistent", _join(path, "end"),
                 f"期间结束 {end.isoformat()} 早于期间开始 {start.isoformat()}",
                 f"不早于 {start.isoformat()}", end.isoformat())


def _check_meeting(v: _Validator, out: dict, data: dict, path: str, here: Span | None) -> None:
    expected, present = out["expected"], out["present"]
    if isinstance(expected, int) and isinstance(present, int) and present > expected:
        v.report(span_of(data, "present") or here, "inconsistent", _join(path, "present"),
                 f"实到人数 {present} 大于应到人数 {expected}", f"不大于 {expected}", str(present))
    day, recorded = out["date"], out["recorded_on"]
    if isinstance(day, dt.date) and isinstance(recorded, dt.date) and recorded < day:
        v.report(span_of(data, "recorded_on") or here, "inconsistent", _join(path, "recorded_on"),
                 f"记录归档日期 {recorded.isoformat()} 早于会议日期 {day.isoformat()}",
                 f"不早于 {day.isoformat()}", recorded.isoformat())


# Semantic checks of records.md that go beyond types, by record name.
_SEMANTIC_CHECKS = {"period": _check_period, "meeting": _check_meeting}

# The same checks in words, for the JSON Schema export (which cannot express them).
SEMANTIC_RULES: dict[str, tuple[str, ...]] = {
    "period": ("end 不得早于 start",),
    "meeting": ("present（实到人数）不得大于 expected（应到人数）",
                "recorded_on（记录归档日期）不得早于 date（会议日期）"),
    "unit": ("major_decisions[].prestudy_meeting 必须是本单位 meetings 中某次会议的 id",
             "unit_id 在全部输入中唯一"),
}


def semantic_check(record_name: str) -> Callable[[Any, dict, Any, str, Span | None], None] | None:
    """The semantic check of a record type beyond its field types (period order, present ≤ expected), if any."""
    return _SEMANTIC_CHECKS.get(record_name)


def problem_witness() -> _Validator:
    """A validator that only collects problems (no file, no positions): run a check on it to learn whether it fails."""
    return _Validator("", None)


def key_fields(rec: Record) -> tuple[str, ...]:
    """The fields an element's item key is made of (`date + kind` → date, kind); () for positional keys."""
    if rec.key is None:
        return ()
    parts = tuple(p.strip() for p in rec.key_help.split("+"))
    return parts if all(rec.field(p) is not None for p in parts) else ()


def skeleton(ftype: FieldType) -> Any:
    """The normalised value of an absent field: None, [] or a record with every field absent."""
    if isinstance(ftype, ListOf):
        return []
    if isinstance(ftype, Record):
        return {f.name: skeleton(f.type) for f in ftype.fields}
    return None


def describe_value(value: Any) -> str:
    """A value as error messages show it: its type in Chinese and, for scalars, the value."""
    if value is None:
        return "空值 null"
    if isinstance(value, bool):
        return f"布尔值 {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"整数 {value}"
    if isinstance(value, float):
        return f"小数 {value}" if math.isfinite(value) else f"非有限数 {value}"
    if isinstance(value, str):
        shown = value if len(value) <= _SHOW_CHARS else value[:_SHOW_CHARS] + "…"
        return f'字符串 "{shown}"'
    if isinstance(value, dt.datetime):
        return f"日期时间 {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"日期 {value.isoformat()}"
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    return f"不支持的值（{type(value).__name__}）"


def suggest(word: str, choices: list[str], aliases: dict[str, str] | None = None) -> str | None:
    """The closest choice to a mistyped word (case-insensitive; Chinese labels map to field names)."""
    if aliases and word in aliases:
        return aliases[word]
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _looks_numeric(text: str) -> bool:
    try:
        return math.isfinite(float(text.replace(",", "")))
    except ValueError:
        return False


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _shown_path(path: str) -> str:
    return path or "单位记录"
