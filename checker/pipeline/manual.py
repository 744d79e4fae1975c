"""Auditor-entered findings (`--manual FILE`): problems found by people during an inspection (问题来源: 人工检查).

A manual findings file (YAML or JSON)::

    findings:
      - unit: GD-07                          # required: a unit checked in this run
        title: 党员活动室被挪作仓库              # required
        severity: 中                          # required: one of the pack's severities
        message: 现场检查发现……                # required: what was found
        remedy: 一个月内恢复党员活动室功能……     # required: what the unit must do
        tags: [形式化]                        # optional, free text
        refs: ["《中国共产党支部工作条例（试行）》"]   # optional
        evidence:                            # optional: file names, or mappings with kind and key
          - 现场照片-0412.jpg
          - {kind: 访谈记录, key: 访谈-03, note: 支部书记口述}

Each entry becomes a `Finding` with `source: "manual"`, rule id `MAN-<n>` (n = position in the
file, 1-based), the unit's period, the deadline of its severity counted from `--as-of`, and a
fingerprint from ("MAN", unit, title): the 问题编号 stays the same across runs even when entries
are added or reordered, so a unit cannot have two manual findings with one title. The findings are
merged into their unit's result before waivers are applied, so they flow into findings.json,
notices, summary, ledger and machine outputs like rule findings; being added after the rules ran,
they never feed the composite rules (X). Every problem of the file is reported at once with
file:line:col (`RecordError`), like unit records.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Mapping, Sequence

from checker.errors import InputError, Location, Problem, RecordError, UsageError
from checker.findings import Finding, UnitResult, fingerprint, make_finding
from checker.inputs.records import describe_value
from checker.inputs.source import Span, key_span_of, load_file, span_of

if TYPE_CHECKING:
    from checker.pipeline.state import RunState

MANUAL_PREFIX = "MAN"
MANUAL_SOURCE = "manual"
ENTRY_KEYS = ("unit", "title", "severity", "message", "remedy", "tags", "refs", "evidence")
REQUIRED = {"unit": "单位编号", "title": "问题标题", "severity": "严重程度", "message": "问题描述", "remedy": "整改要求"}
MAX_LENGTH = {"unit": 64, "title": 100, "severity": 16, "message": 5000, "remedy": 5000}
MAX_LIST_TEXT = 200
MAX_EVIDENCE = 100
MATERIAL_KIND = "material"          # the evidence kind of a plain file name


@dataclass(frozen=True)
class ManualEntry:
    """One auditor-entered problem as validated from the file (not yet bound to a run)."""

    number: int                     # 1-based position in the file
    unit: str
    title: str
    severity: str
    message: str
    remedy: str
    tags: tuple[str, ...]
    refs: tuple[str, ...]
    evidence: tuple[Mapping[str, Any], ...]
    location: Location
    unit_location: Location

    @property
    def rule(self) -> str:
        """The rule id the finding is reported under: MAN-<n>."""
        return f"{MANUAL_PREFIX}-{self.number}"

    @property
    def fingerprint(self) -> str:
        """Stable across runs and reorderings: ("MAN", unit, title)."""
        return fingerprint(MANUAL_PREFIX, self.unit, [self.title])

    def to_finding(self, period: str, deadline_days: int, as_of: dt.date) -> Finding:
        """The entry as a finding of its unit."""
        return make_finding(self, unit=self.unit, period=period, message=self.message, remedy=self.remedy,
                            evidence=self.evidence, as_of=as_of, days=deadline_days,
                            fingerprint_value=self.fingerprint, source=MANUAL_SOURCE)


# ---------------------------------------------------------------------------------------------
# Loading and validating


def read_manual(path: Path | str, severities: Collection[str],
                shown: str | None = None) -> tuple[list[ManualEntry], list[Problem]]:
    """Read a manual findings file: its valid entries and the problems of the others (file order).

    A missing file is a UsageError; a file that is not YAML/JSON a RecordError. Units are checked
    later, against the run (`unit_problems`)."""
    path = Path(path)
    shown = shown or str(path)
    if not path.is_file():
        raise UsageError(f"找不到人工检查问题文件：{shown}" if not path.exists()
                         else f"人工检查问题文件应为文件，而不是目录：{shown}")
    try:
        doc = load_file(path, shown)
    except InputError as exc:
        raise RecordError(f"人工检查问题文件有误：{shown}", exc.problems) from None
    return parse_manual(doc.data, shown, severities)


def load_manual(path: Path | str, severities: Collection[str], shown: str | None = None) -> list[ManualEntry]:
    """The valid entries of a manual findings file; RecordError with every problem when any entry is wrong."""
    shown = shown or str(path)
    entries, problems = read_manual(path, severities, shown)
    if problems:
        raise RecordError(f"人工检查问题文件有误：{shown}（{len(problems)} 处问题）", problems)
    return entries


def parse_manual(data: Any, file: str, severities: Collection[str]) -> tuple[list[ManualEntry], list[Problem]]:
    """Validate loaded data (marked YAML/JSON): the valid entries and every problem found, in file order."""
    problems: list[Problem] = []
    entries: list[ManualEntry] = []
    if data is None:
        return [], []
    if not isinstance(data, dict):
        problems.append(_problem(file, getattr(data, "span", None), "type-error",
                                 f"文件内容应为映射，顶层键为 findings:（人工检查问题列表），实际为 {describe_value(data)}"))
        return [], problems
    for key in data:
        if key != "findings":
            problems.append(_problem(file, key_span_of(data, key), "unknown-field",
                                     f"人工检查问题文件的顶层只能有 findings，不应有 “{key}”"))
    items = data.get("findings")
    if "findings" not in data:
        problems.append(_problem(file, getattr(data, "span", None), "missing-field", "缺少 findings:（人工检查问题列表）"))
    elif items is not None and not isinstance(items, list):
        problems.append(_problem(file, span_of(data, "findings"), "type-error",
                                 f"findings：期望 人工检查问题的列表，实际 {describe_value(items)}"))
    elif items:
        seen: dict[tuple[str, str], Location] = {}
        for index, item in enumerate(items):
            entry = _entry(item, span_of(items, index), index, file, severities, problems)
            if entry is None:
                continue
            first = seen.get((entry.unit, entry.title))
            if first is not None:
                problems.append(Problem(_at(file, span_of(item, "title")), "duplicate",
                                        f"findings[{index}].title：单位 {entry.unit} 已有同名人工检查问题 “{entry.title}”"
                                        f"（{first.file}:{first.line}），同一单位的问题标题须唯一", entry.unit, "title"))
                continue
            seen[(entry.unit, entry.title)] = entry.location
            entries.append(entry)
    problems.sort(key=_file_order)
    return entries, problems


def _entry(item: Any, span: Span | None, index: int, file: str, severities: Collection[str],
           problems: list[Problem]) -> ManualEntry | None:
    path = f"findings[{index}]"
    if not isinstance(item, dict):
        problems.append(_problem(file, span, "type-error", f"{path}：期望 映射（unit、title、severity、message、remedy…），"
                                                         f"实际 {describe_value(item)}"))
        return None
    start = len(problems)
    unit_hint = item.get("unit") if isinstance(item.get("unit"), str) else None
    for key in item:
        if key not in ENTRY_KEYS:
            guess = difflib.get_close_matches(str(key), ENTRY_KEYS, n=1)
            hint = f"；是否为 “{guess[0]}”？" if guess else f"（可用：{'、'.join(ENTRY_KEYS)}）"
            problems.append(Problem(_at(file, key_span_of(item, key)), "unknown-field",
                                    f"{path}：未知字段 “{key}”{hint}", unit_hint, f"{path}.{key}"))
    text: dict[str, str] = {}
    for key, label in REQUIRED.items():
        value = _required_text(item, key, label, path, span, file, unit_hint, problems)
        if value is not None:
            text[key] = value
    severity = text.get("severity")
    if severity is not None and severity not in severities:
        hint = "、".join(severities)
        problems.append(Problem(_at(file, span_of(item, "severity")), "enum",
                                f"{path}.severity：期望 {hint} 之一，实际 “{severity}”", unit_hint, f"{path}.severity",
                                hint, severity))
    tags = _text_list(item, "tags", path, file, unit_hint, problems)
    refs = _text_list(item, "refs", path, file, unit_hint, problems)
    evidence = _evidence(item, path, file, unit_hint, problems)
    if len(problems) > start:
        return None
    where = _at(file, span)
    return ManualEntry(index + 1, text["unit"], text["title"], text["severity"], text["message"], text["remedy"],
                       tags, refs, evidence, where, _at(file, span_of(item, "unit")))


def _required_text(item: dict, key: str, label: str, path: str, span: Span | None, file: str,
                   unit: str | None, problems: list[Problem]) -> str | None:
    value = item.get(key)
    field = f"{path}.{key}"
    if value is None:
        problems.append(Problem(_at(file, span if key not in item else span_of(item, key)), "required",
                                f"{field}：缺少必填字段（{label}）", unit, field, label, "空值 null"))
        return None
    if not isinstance(value, str):
        found = describe_value(value)
        problems.append(Problem(_at(file, span_of(item, key)), "type-error", f"{field}：期望 文字（{label}），实际 {found}",
                                unit, field, "文字", found))
        return None
    value = value.strip()
    if not value:
        problems.append(Problem(_at(file, span_of(item, key)), "required", f"{field}：{label}不能为空", unit, field))
        return None
    limit = MAX_LENGTH[key]
    if len(value) > limit:
        problems.append(Problem(_at(file, span_of(item, key)), "too-long",
                                f"{field}：期望 文字（最长 {limit} 字），实际 {len(value)} 字", unit, field))
        return None
    return value


def _text_list(item: dict, key: str, path: str, file: str, unit: str | None, problems: list[Problem]) -> tuple[str, ...]:
    value = item.get(key)
    field = f"{path}.{key}"
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(Problem(_at(file, span_of(item, key)), "type-error",
                                f"{field}：期望 文字列表，实际 {describe_value(value)}", unit, field))
        return ()
    out: list[str] = []
    for i, element in enumerate(value):
        where = span_of(value, i) or span_of(item, key)
        if not isinstance(element, str) or not element.strip() or len(element) > MAX_LIST_TEXT:
            problems.append(Problem(_at(file, where), "type-error",
                                    f"{field}[{i}]：期望 非空文字（最长 {MAX_LIST_TEXT} 字），实际 {describe_value(element)}",
                                    unit, f"{field}[{i}]"))
            continue
        if element.strip() not in out:
            out.append(element.strip())
    return tuple(out)


def _evidence(item: dict, path: str, file: str, unit: str | None, problems: list[Problem]) -> tuple[Mapping[str, Any], ...]:
    value = item.get("evidence")
    field = f"{path}.evidence"
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(_at(file, span_of(item, "evidence")), "type-error",
                                f"{field}：期望 佐证材料列表（文件名，或含 kind、key 的映射），实际 {describe_value(value)}",
                                unit, field))
        return ()
    if len(value) > MAX_EVIDENCE:
        problems.append(Problem(_at(file, span_of(item, "evidence")), "too-long",
                                f"{field}：佐证材料最多 {MAX_EVIDENCE} 项，实际 {len(value)} 项", unit, field))
        return ()
    out: list[dict[str, Any]] = []
    for i, element in enumerate(value):
        here = f"{field}[{i}]"
        where = span_of(value, i)
        if isinstance(element, str) and element.strip():
            out.append({"kind": MATERIAL_KIND, "key": element.strip()})
            continue
        if not isinstance(element, dict):
            problems.append(Problem(_at(file, where), "type-error",
                                    f"{here}：期望 文件名或含 kind、key 的映射，实际 {describe_value(element)}", unit, here))
            continue
        entry: dict[str, Any] = {}
        ok = True
        for name in ("kind", "key"):
            v = element.get(name)
            if not isinstance(v, str) or not v.strip():
                problems.append(Problem(_at(file, span_of(element, name) if name in element else where), "required",
                                        f"{here}.{name}：期望 非空文字，实际 {describe_value(v)}", unit, f"{here}.{name}"))
                ok = False
            else:
                entry[name] = v.strip()
        for name, v in element.items():
            if name in ("kind", "key"):
                continue
            if isinstance(v, dt.date):
                v = v.isoformat()
            if v is not None and (isinstance(v, (dict, list)) or (isinstance(v, str) and len(v) > 1000)):
                problems.append(Problem(_at(file, span_of(element, name)), "type-error",
                                        f"{here}.{name}：期望 简单的值（文字、数字、日期，最长 1000 字），实际 {describe_value(v)}",
                                        unit, f"{here}.{name}"))
                ok = False
                continue
            entry[str(name)] = v
        if ok:
            out.append(entry)
    return tuple(out)


def _at(file: str, span: Span | None) -> Location:
    return Location(file, span.line, span.col) if span else Location(file, 1, 1)


def _problem(file: str, span: Span | None, code: str, message: str) -> Problem:
    return Problem(_at(file, span), code, message)


# ---------------------------------------------------------------------------------------------
# Merging into the run


def unit_problems(entries: Sequence[ManualEntry], checked_units: Collection[str],
                  unchecked_units: Collection[str] = (), rule_ids: Collection[str] = ()) -> list[Problem]:
    """Problems of entries that name a unit not checked in this run (or clash with a pack rule id)."""
    known = sorted(checked_units)
    checked = set(checked_units)
    problems: list[Problem] = []
    for entry in entries:
        if entry.rule in rule_ids:
            problems.append(Problem(entry.location, "id-clash",
                                    f"人工检查问题编号 {entry.rule} 与规则包中的规则编号相同，请修改规则包的规则编号",
                                    entry.unit))
        if entry.unit in checked:
            continue
        field = f"findings[{entry.number - 1}].unit"
        if entry.unit in unchecked_units:
            problems.append(Problem(entry.unit_location, "unit-not-checked",
                                    f"{field}：单位 “{entry.unit}” 的记录未通过校验，本次未检查，不能登记人工检查问题"
                                    f"（先修正该单位的记录）", entry.unit, field))
            continue
        guess = difflib.get_close_matches(entry.unit, known, n=1)
        hint = f"；是否为 “{guess[0]}”？" if guess else ""
        problems.append(Problem(entry.unit_location, "unknown-unit",
                                f"{field}：单位 “{entry.unit}” 不在本次检查的单位记录中{hint}", entry.unit, field,
                                "本次检查的单位编号", entry.unit))
    return problems


def merge_manual(results: Sequence[UnitResult], entries: Sequence[ManualEntry], severities: Mapping[str, int],
                 as_of: dt.date) -> list[UnitResult]:
    """Each unit's result with its manual findings appended (entries must name units of `results`)."""
    by_unit = {r.unit: r for r in results}
    added: dict[str, list[Finding]] = {}
    for entry in entries:
        result = by_unit[entry.unit]
        added.setdefault(entry.unit, []).append(entry.to_finding(result.period, severities[entry.severity], as_of))
    return [dataclasses.replace(r, findings=r.findings + tuple(added[r.unit])) if r.unit in added else r
            for r in results]


def prepare_manual(state: "RunState") -> None:
    """Step `prepare`: read `--manual` before any unit is checked, so that its mistakes show at once."""
    path = getattr(state.options, "manual", None)
    if path is not None:
        state.prepared["manual"] = load_manual(Path(path), list(state.compiled.pack.severities), str(path))


def manual_step(state: "RunState") -> "RunState":
    """Step `apply`: load `--manual`, check it against the run's units, merge its findings into their results."""
    path = getattr(state.options, "manual", None)
    if path is None:
        return state
    severities = state.compiled.pack.severities
    shown = str(path)
    entries, problems = read_manual(Path(path), list(severities), shown)
    unchecked = [u.unit_id for u in state.invalid if u.unit_id]
    problems += unit_problems(entries, [r.unit for r in state.results], unchecked, set(state.compiled.pack.rules))
    if problems:
        problems.sort(key=_file_order)
        raise RecordError(f"人工检查问题文件有误：{shown}（{len(problems)} 处问题）", problems)
    state.results = merge_manual(state.results, entries, severities, state.as_of)
    return state


def _file_order(p: Problem) -> tuple[int, int]:
    return (p.location.line or 0, p.location.col or 0) if p.location else (0, 0)
