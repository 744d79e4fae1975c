"""Waivers (`--waivers FILE`): approved, expiring exceptions that take findings out of the notices and the exit status.

A waivers file (YAML or JSON)::

    waivers:
      - rule: FM06                 # required: a rule id of the pack (or MAN-<n> of --manual)
        unit: GD-07                # required: a unit id, or "*" for every unit
        item: null                 # optional: an item key (records.md "Item keys"); null = every finding
        reason: 制度文件正在修订，新版发布前暂缓   # required
        approver: 审计处 李明                        # required
        expires: 2026-06-30                         # required; expired when before --as-of

A waiver matches a finding when the rule id is equal, the unit is equal (or "*") and, if `item` is
given, the finding's `item` is equal. A waived finding keeps every field, gets `status: waived`
and `waiver` (the entry below, without `findings`), stays in findings.json, the ledger and the
composites (they ran before waivers are applied), and leaves the notices and the exit status.
When several waivers match one finding the most specific one is recorded (item before unit before
"*", then file order).

The data handed to outputs (`RunState.waivers` → `OutputContext.waivers`, findings.json
`waivers`) — a stable shape the notice annex 已批准豁免事项 and the summary are rendered from::

    {"applied": [entry, …], "expired": [entry, …], "unused": [entry, …]}      # each in file order

    entry = {"rule": "FM06", "unit": "GD-07", "item": null, "reason": "…", "approver": "…",
             "expires": "2026-06-30", "source": "waivers.yaml:3"}     # the waiver as written + file:line
    applied entries add  "findings": [fingerprint, …]  the findings it matched (findings.json order)
    expired entries add  "findings": [fingerprint, …]  the findings it would have matched (now open)
    unused entries add   "note": "…"                   why nothing matched (unit absent, rule passed…)

An expired waiver is listed under `expired` only (whether or not it would have matched). Errors
in the file (missing reason/approver/expires, unknown rule, wrong types, unknown keys) are all
reported together, each with file:line:col, as a `WaiverError`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterable, Sequence

from checker.errors import InputError, Location, Problem, UsageError
from checker.findings import Finding, UnitResult
from checker.outputs.findings_json import finding_sort_key
from checker.inputs.records import describe_value
from checker.inputs.source import Span, key_span_of, load_file, span_of

if TYPE_CHECKING:
    from checker.pipeline.state import RunState

ANY_UNIT = "*"
WAIVER_KEYS = ("rule", "unit", "item", "reason", "approver", "expires")
REQUIRED_TEXT = {"rule": "规则编号", "unit": "单位编号（或 \"*\"）", "reason": "豁免理由", "approver": "批准人"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_TEXT = 500


class WaiverError(InputError):
    """A waivers file that does not follow the format above; `problems` has every problem with file:line:col."""


@dataclass(frozen=True)
class Waiver:
    """One approved exception as written in the waivers file, with where it was written."""

    rule: str
    unit: str
    item: str | None
    reason: str
    approver: str
    expires: dt.date
    location: Location

    @property
    def source(self) -> str:
        """Where the waiver was written, as `file:line`."""
        return f"{self.location.file}:{self.location.line or 1}"

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver covers the finding (rule exact, unit exact or "*", item exact if given)."""
        if finding.rule != self.rule:
            return False
        if self.unit != ANY_UNIT and finding.unit != self.unit:
            return False
        return self.item is None or finding.item == self.item

    def specificity(self) -> tuple[int, int]:
        """Higher is more specific: an item beats a whole unit, a named unit beats "*"."""
        return (self.item is not None, self.unit != ANY_UNIT)

    def expired(self, as_of: dt.date) -> bool:
        """Expired when its last valid day is before the as-of date (expiring on the day still applies)."""
        return self.expires < as_of

    def to_json(self) -> dict[str, Any]:
        """The waiver as written plus its `source` (the entry shape of the module docstring)."""
        return {"rule": self.rule, "unit": self.unit, "item": self.item, "reason": self.reason,
                "approver": self.approver, "expires": self.expires.isoformat(), "source": self.source}


# ---------------------------------------------------------------------------------------------
# Loading and validating


def load_waivers(path: Path | str, known_rules: Collection[str], shown: str | None = None) -> list[Waiver]:
    """Read and validate a waivers file; WaiverError (every problem, file:line:col) when anything is wrong."""
    path = Path(path)
    shown = shown or str(path)
    if not path.is_file():
        raise UsageError(f"找不到豁免文件：{shown}" if not path.exists() else f"豁免文件应为文件，而不是目录：{shown}")
    try:
        doc = load_file(path, shown)
    except InputError as exc:
        raise WaiverError(f"豁免文件有误：{shown}", exc.problems) from None
    return parse_waivers(doc.data, shown, known_rules)


def parse_waivers(data: Any, file: str, known_rules: Collection[str]) -> list[Waiver]:
    """Validate loaded waiver data (marked YAML/JSON) into Waivers; WaiverError listing every problem."""
    problems: list[Problem] = []
    waivers: list[Waiver] = []
    if data is None:
        return []
    if not isinstance(data, dict):
        raise WaiverError(f"豁免文件有误：{file}", [_problem(file, getattr(data, "span", None), "type-error",
                                                         "豁免文件应为映射，顶层键为 waivers:（豁免事项列表）")])
    for key in data:
        if key != "waivers":
            problems.append(_problem(file, key_span_of(data, key), "unknown-key",
                                     f"豁免文件的顶层只能有 waivers，不应有 “{key}”"))
    entries = data.get("waivers")
    if "waivers" not in data:
        problems.append(_problem(file, getattr(data, "span", None), "missing-key", "缺少 waivers:（豁免事项列表）"))
    elif entries is not None and not isinstance(entries, list):
        problems.append(_problem(file, span_of(data, "waivers"), "type-error",
                                 f"waivers 应为豁免事项的列表，实际为 {describe_value(entries)}"))
    elif entries:
        for index, entry in enumerate(entries):
            waiver = _parse_entry(entry, span_of(entries, index), index, file, known_rules, problems)
            if waiver is not None:
                waivers.append(waiver)
    if problems:
        problems.sort(key=lambda p: (p.location.line or 0, p.location.col or 0) if p.location else (0, 0))
        raise WaiverError(f"豁免文件有误：{file}（{len(problems)} 处问题）", problems)
    return waivers


def _parse_entry(entry: Any, span: Span | None, index: int, file: str, known_rules: Collection[str],
                 problems: list[Problem]) -> Waiver | None:
    where = f"第{index + 1}项豁免"
    if not isinstance(entry, dict):
        problems.append(_problem(file, span, "type-error",
                                 f"{where}应为映射（rule、unit、reason、approver、expires），实际为 {describe_value(entry)}"))
        return None
    start = len(problems)
    for key in entry:
        if key not in WAIVER_KEYS:
            guess = difflib.get_close_matches(str(key), WAIVER_KEYS, n=1)
            hint = f"，是否应为 {guess[0]}？" if guess else f"（可用：{'、'.join(WAIVER_KEYS)}）"
            problems.append(_problem(file, key_span_of(entry, key), "unknown-key", f"{where}有未知键 “{key}”{hint}"))
    values: dict[str, Any] = {}
    for key, label in REQUIRED_TEXT.items():
        values[key] = _text(entry, key, label, where, span, file, problems)
    rule = values["rule"]
    if rule is not None and rule not in known_rules:
        guess = difflib.get_close_matches(rule, sorted(known_rules), n=1)
        hint = f"；是否为 {guess[0]}？" if guess else ""
        problems.append(_problem(file, span_of(entry, "rule"), "unknown-rule",
                                 f"{where}的规则编号 “{rule}” 不在规则包中{hint}"))
    item = entry.get("item")
    if isinstance(item, bool) or (item is not None and not isinstance(item, (str, int))):
        problems.append(_problem(file, span_of(entry, "item"), "type-error",
                                 f"{where}的 item 应为事项编号文字（如 M-2025-03#1）或 null，实际为 {describe_value(item)}"))
        item = None
    elif isinstance(item, str) and not item.strip():
        problems.append(_problem(file, span_of(entry, "item"), "type-error",
                                 f"{where}的 item 不能为空文字；豁免该规则的全部问题请写 null 或省略"))
    item = str(item) if item is not None else None
    expires = _date(entry, "expires", where, span, file, problems)
    if len(problems) > start:
        return None
    line = span.line if span else 1
    col = span.col if span else 1
    return Waiver(rule, values["unit"], item, values["reason"], values["approver"], expires,
                  Location(file, line, col))


def _text(entry: dict, key: str, label: str, where: str, span: Span | None, file: str,
          problems: list[Problem]) -> str | None:
    """A required non-empty text field (surrounding blanks removed)."""
    if key not in entry or entry[key] is None:
        problems.append(_problem(file, span, "missing-key", f"{where}缺少 {key}（{label}）"))
        return None
    value = entry[key]
    if not isinstance(value, str):
        problems.append(_problem(file, span_of(entry, key), "type-error",
                                 f"{where}的 {key}（{label}）应为文字，实际为 {describe_value(value)}"))
        return None
    if not value.strip():
        problems.append(_problem(file, span_of(entry, key), "missing-key", f"{where}的 {key}（{label}）不能为空"))
        return None
    if len(value) > MAX_TEXT:
        problems.append(_problem(file, span_of(entry, key), "too-long",
                                 f"{where}的 {key} 过长（{len(value)} 字，上限 {MAX_TEXT} 字）"))
        return None
    return value.strip()


def _date(entry: dict, key: str, where: str, span: Span | None, file: str, problems: list[Problem]) -> dt.date | None:
    """A required date: a YAML date or an ISO `YYYY-MM-DD` string (JSON has no dates)."""
    if key not in entry or entry[key] is None:
        problems.append(_problem(file, span, "missing-key", f"{where}缺少 {key}（有效期至，如 2026-06-30）"))
        return None
    value = entry[key]
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(_problem(file, span_of(entry, key), "bad-date",
                             f"{where}的 {key} 应为日期 YYYY-MM-DD（如 2026-06-30），实际为 {describe_value(value)}"))
    return None


def _problem(file: str, span: Span | None, code: str, message: str) -> Problem:
    location = Location(file, span.line, span.col) if span else Location(file, 1, 1)
    return Problem(location, code, message)


# ---------------------------------------------------------------------------------------------
# Applying


@dataclass
class WaiverOutcome:
    """The results with waivers applied and the applied/expired/unused report (module docstring shape)."""

    results: list[UnitResult]
    report: dict[str, list[dict[str, Any]]]

    @property
    def waived_count(self) -> int:
        """How many findings are waived."""
        return sum(1 for r in self.results for f in r.findings if f.status == "waived")


def apply_waivers(results: Sequence[UnitResult], waivers: Sequence[Waiver], as_of: dt.date,
                  unchecked_units: Iterable[str] = ()) -> WaiverOutcome:
    """Mark the findings covered by a valid waiver as waived and sort the waivers into applied/expired/unused."""
    active = [(i, w) for i, w in enumerate(waivers) if not w.expired(as_of)]
    matched: dict[int, list[str]] = {i: [] for i in range(len(waivers))}
    new_results: list[UnitResult] = []
    for result in results:
        findings = []
        for finding in result.findings:            # findings keep their order; only status/waiver change
            covering = [(w.specificity(), -i, w) for i, w in active if w.matches(finding)]
            if covering and finding.status == "open":
                chosen = max(covering, key=lambda c: (c[0], c[1]))[2]
                finding = dataclasses.replace(finding, status="waived", waiver=chosen.to_json())
            findings.append(finding)
        for finding in sorted(findings, key=finding_sort_key):     # findings.json order
            for i, w in enumerate(waivers):
                if w.matches(finding):
                    matched[i].append(finding.fingerprint)
        new_results.append(dataclasses.replace(result, findings=tuple(findings)))
    checked = {r.unit for r in results}
    unchecked = set(unchecked_units)
    report: dict[str, list[dict[str, Any]]] = {"applied": [], "expired": [], "unused": []}
    for i, w in enumerate(waivers):
        entry = w.to_json()
        if w.expired(as_of):
            entry["findings"] = matched[i]
            report["expired"].append(entry)
        elif matched[i]:
            entry["findings"] = matched[i]
            report["applied"].append(entry)
        else:
            entry["note"] = _unused_note(w, results, checked, unchecked)
            report["unused"].append(entry)
    return WaiverOutcome(new_results, report)


def _unused_note(w: Waiver, results: Sequence[UnitResult], checked: set[str], unchecked: set[str]) -> str:
    """Why a waiver matched nothing, in words for the summary."""
    if w.unit != ANY_UNIT and w.unit not in checked:
        if w.unit in unchecked:
            return f"单位 {w.unit} 的记录未通过校验，本次未检查"
        return f"本次检查不包含单位 {w.unit}"
    rule_hits = [f for r in results for f in r.findings
                 if f.rule == w.rule and (w.unit == ANY_UNIT or f.unit == w.unit)]
    where = "任何单位" if w.unit == ANY_UNIT else f"单位 {w.unit}"
    if not rule_hits:
        return f"{where}本次均未发现 {w.rule} 问题"
    return f"{where}的 {w.rule} 问题中没有事项 {w.item}"


def known_rule_ids(state: "RunState") -> set[str]:
    """Rule ids a waiver may name: every rule of the pack (enabled or not) and the run's manual finding ids."""
    ids = set(state.compiled.pack.rules)
    ids.update(f.rule for r in state.results for f in r.findings if f.source == "manual")
    return ids


def prepare_waivers(state: "RunState") -> None:
    """Step `prepare`: read `--waivers` before any unit is checked (rule ids: the pack's and the manual findings')."""
    path = getattr(state.options, "waivers", None)
    if path is None:
        return
    manual = state.prepared.get("manual") or ()
    known = set(state.compiled.pack.rules) | {f"MAN-{n}" for n in range(1, len(manual) + 1)}
    load_waivers(Path(path), known, str(path))


def waivers_step(state: "RunState") -> "RunState":
    """Step `apply`: load `--waivers`, apply it to every finding, put the report in `state.waivers`."""
    path = getattr(state.options, "waivers", None)
    if path is None:
        return state
    waivers = load_waivers(Path(path), known_rule_ids(state), str(path))
    unchecked = [u.unit_id for u in state.invalid if u.unit_id]
    outcome = apply_waivers(state.results, waivers, state.as_of, unchecked)
    state.results = outcome.results
    state.waivers = outcome.report
    return state


def summary_lines(report: dict[str, Any], waived_findings: int) -> list[str]:
    """The waiver part of the terminal summary: counts, then each expired and unused waiver with file:line."""
    applied, expired, unused = (report.get(k) or [] for k in ("applied", "expired", "unused"))
    if not (applied or expired or unused):
        return []
    lines = [f"豁免：已适用 {len(applied)} 项（豁免问题 {waived_findings} 条），已过期 {len(expired)} 项，未使用 {len(unused)} 项。"]
    for entry in expired:
        lines.append(f"  已过期：{entry['source']} {_label(entry)}，有效期至 {entry['expires']}，相关问题按未豁免处理")
    for entry in unused:
        lines.append(f"  未使用：{entry['source']} {_label(entry)}（{entry.get('note') or '未匹配到问题'}）")
    return lines


def _label(entry: dict[str, Any]) -> str:
    unit = "全部单位" if entry["unit"] == ANY_UNIT else entry["unit"]
    item = f" 事项 {entry['item']}" if entry.get("item") else ""
    return f"{entry['rule']} {unit}{item}"
