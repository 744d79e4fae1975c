"""整改通知书: one notice per unit with open findings; grouping and ordering here, layout in reports/notice.*.j2."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from jinja2.sandbox import SandboxedEnvironment

from checker.findings import CHECK_LABELS, FIRED, SEVERITY_ORDER, Finding, RuleMeta, RunInfo, UnitResult
from checker.outputs.evidence import EvidenceRow, evidence_row
from checker.outputs.index_view import INDEX_SECTION, index_view
from checker.outputs.findings_json import rule_id_key, severity_rank
from checker.outputs.naming import notice_path
from checker.outputs.templating import report_env
from checker.render import DASH, display_text, render_report

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext

DEFAULT_ISSUER = "党建工作检查组"
COMPOSITE_GROUP = "综合诊断"
UNTAGGED_GROUP = "其他"
UNCHECKED_LABEL = "未检查"
WAIVED_NOTE = "已豁免"
HTML_TEMPLATE = "notice.html.j2"
MD_TEMPLATE = "notice.md.j2"
# The diagnoses of the paper (§2) in the order the notices and the summary present them; a pack's other
# tags follow in catalogue order, and a pack that does not use these tags is ordered by its catalogue alone.
PAPER_DIAGNOSES = ("形式化", "重业务轻党建", "重党建轻业务", "两张皮", "责任落实", "四同")
CHECKLIST_ANNEX = "检查清单"
WAIVED_ANNEX = "已批准豁免事项"

_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class NoticeContext:
    """Everything one unit's notice shows: the unit, the run, the pack's rules and the open findings."""

    unit: UnitResult
    run: RunInfo
    rules: Mapping[str, RuleMeta]          # catalogue order
    doc_no: str | None                     # already numbered (see doc_number)
    findings: tuple[Finding, ...]          # the open findings to show
    previous_index: Mapping[str, Any] | None = None   # the unit's index in its previous run (run history)


@dataclass(frozen=True)
class NoticeItem:
    """A finding with its number in the notice and its evidence prepared for layout."""

    number: int
    finding: Finding
    refs_text: str
    evidence: tuple[EvidenceRow, ...]


@dataclass(frozen=True)
class NoticeGroup:
    """A diagnosis heading (综合诊断 or a finding's first tag) and its numbered findings."""

    ordinal: str                           # 一, 二, … as in （一）
    label: str
    composite: bool
    items: tuple[NoticeItem, ...]

    @property
    def heading(self) -> str:
        """The heading as the notice prints it, e.g. （一）综合诊断."""
        return f"（{self.ordinal}）{self.label}"


@dataclass(frozen=True)
class ChecklistRow:
    """One rule of the annex 检查清单 with this unit's result."""

    number: int
    rule: str
    title: str
    severity: str
    state: str | None
    label: str
    note: str


@dataclass(frozen=True)
class WaivedRow:
    """A waived finding for the annex 已批准豁免事项: what was waived, why, by whom, until when."""

    number: int
    finding: Finding
    reason: str
    approver: str
    expires: Any                           # ISO date or None (no expiry given)


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (larger numbers stay Arabic)."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def doc_number(pattern: str | None, n: int) -> str | None:
    """The notice's 文号: `{n}` in the pattern replaced by n (党建审〔2026〕{n}号 → 党建审〔2026〕3号)."""
    if pattern is None:
        return None
    return pattern.replace("{n}", str(n))


def open_findings(unit: UnitResult) -> tuple[Finding, ...]:
    """The unit's findings that are still open (not waived)."""
    return tuple(f for f in unit.findings if f.status == "open")


def notice_units(units: Sequence[UnitResult]) -> list[UnitResult]:
    """The units that get a notice: those with at least one open finding, in input order."""
    return [u for u in units if open_findings(u)]


def build_notice_contexts(run: RunInfo, units: Sequence[UnitResult], rules: Mapping[str, RuleMeta],
                          previous_index: Mapping[str, Mapping[str, Any]] | None = None) -> list[NoticeContext]:
    """One NoticeContext per unit with open findings, numbered 1, 2, … in unit order."""
    return [NoticeContext(unit=u, run=run, rules=rules, doc_no=doc_number(run.doc_no, n), findings=open_findings(u),
                          previous_index=(previous_index or {}).get(u.unit))
            for n, u in enumerate(notice_units(units), start=1)]


def _is_composite(finding: Finding, rules: Mapping[str, RuleMeta]) -> bool:
    meta = rules.get(finding.rule)
    return finding.composite or bool(meta and meta.composite)


def _tag_order(rules: Mapping[str, RuleMeta]) -> dict[str, int]:
    """The paper's main diagnoses first (in PAPER_DIAGNOSES order), then other tags as the catalogue first uses them."""
    used: dict[str, int] = {}
    for meta in rules.values():
        for tag in meta.tags:
            used.setdefault(tag, len(used))
    ordered = [t for t in PAPER_DIAGNOSES if t in used] + [t for t in used if t not in PAPER_DIAGNOSES]
    return {tag: i for i, tag in enumerate(ordered)}


def tag_order(rules: Mapping[str, RuleMeta]) -> dict[str, int]:
    """Tags in the order the catalogue first uses them (public: the summary orders its columns the same way)."""
    return _tag_order(rules)


def evidence_rows(finding: Finding, numbers: Mapping[str, int] | None = None) -> tuple[EvidenceRow, ...]:
    """The finding's evidence as rows with Chinese labels; a related finding shown in the notice gets its number."""
    rows = []
    for e in finding.evidence:
        row = evidence_row(e)
        number = (numbers or {}).get(str(e.get("fingerprint"))) if e.get("kind") == "finding" else None
        if number is not None:
            row = EvidenceRow(row.kind, row.key, row.details + (("见本通知", f"第{number}项"),))
        rows.append(row)
    return tuple(rows)


def notice_groups(findings: Sequence[Finding], rules: Mapping[str, RuleMeta]) -> list[NoticeGroup]:
    """Findings grouped by diagnosis: 综合诊断 first, then by first tag (see _tag_order), numbered 1…N."""
    rule_pos = {rule_id: i for i, rule_id in enumerate(rules)}
    tag_pos = _tag_order(rules)

    def group_key(label: str, composite: bool) -> tuple[Any, ...]:
        if composite:
            return (0, 0, "")
        if label == UNTAGGED_GROUP:
            return (3, 0, "")
        if label in tag_pos:
            return (1, tag_pos[label], label)
        return (2, 0, label)

    def item_key(f: Finding) -> tuple[Any, ...]:
        return (severity_rank(f.severity), rule_pos.get(f.rule, len(rule_pos)), rule_id_key(f.rule),
                f.item is not None, f.item or "", f.fingerprint)

    buckets: dict[tuple[str, bool], list[Finding]] = {}
    for f in findings:
        composite = _is_composite(f, rules)
        label = COMPOSITE_GROUP if composite else (f.tags[0] if f.tags else UNTAGGED_GROUP)
        buckets.setdefault((label, composite), []).append(f)

    ordered = [(key, sorted(buckets[key], key=item_key)) for key in sorted(buckets, key=lambda k: group_key(*k))]
    # numbers first, so that a composite can point at the numbered findings it rests on
    numbers: dict[str, int] = {}
    for _, group_findings in ordered:
        for f in group_findings:
            numbers.setdefault(f.fingerprint, len(numbers) + 1)
    groups: list[NoticeGroup] = []
    number = 0
    for n, ((label, composite), group_findings) in enumerate(ordered, start=1):
        items = []
        for f in group_findings:
            number += 1
            items.append(NoticeItem(number=number, finding=f, refs_text="；".join(f.refs),
                                    evidence=evidence_rows(f, numbers)))
        groups.append(NoticeGroup(ordinal=chinese_numeral(n), label=label, composite=composite, items=tuple(items)))
    return groups


def checklist_rows(unit: UnitResult, rules: Mapping[str, RuleMeta],
                   shown: Sequence[Finding] | None = None) -> list[ChecklistRow]:
    """Every rule of the pack in rule-id order with the unit's result (发现问题 / 未发现问题 / …)."""
    shown_rules = {f.rule for f in (open_findings(unit) if shown is None else shown)}
    waived_rules = {f.rule for f in unit.findings if f.status == "waived"}
    rows = []
    for n, rule_id in enumerate(sorted(rules, key=rule_id_key), start=1):
        meta = rules[rule_id]
        state = unit.checks.get(rule_id)
        note = WAIVED_NOTE if state == FIRED and rule_id in waived_rules and rule_id not in shown_rules else ""
        rows.append(ChecklistRow(number=n, rule=rule_id, title=meta.title, severity=meta.severity, state=state,
                                 label=CHECK_LABELS.get(state or "", UNCHECKED_LABEL), note=note))
    return rows


def waived_rows(unit: UnitResult) -> list[WaivedRow]:
    """The unit's waived findings for the annex 已批准豁免事项, in findings.json order."""
    waived = sorted((f for f in unit.findings if f.status == "waived"),
                    key=lambda f: (severity_rank(f.severity), rule_id_key(f.rule), f.item or "", f.fingerprint))
    rows = []
    for n, f in enumerate(waived, start=1):
        w = f.waiver or {}
        rows.append(WaivedRow(number=n, finding=f, reason=display_text(w.get("reason")),
                              approver=display_text(w.get("approver")), expires=w.get("expires")))
    return rows


def notice_title(unit: UnitResult) -> str:
    """关于{单位}党建与生产经营融合检查发现问题的整改通知书."""
    return f"关于{unit.name or unit.unit}党建与生产经营融合检查发现问题的整改通知书"


def notice_context(ctx: NoticeContext) -> dict[str, Any]:
    """The variables the notice templates lay out (everything computed here, nothing in the template)."""
    groups = notice_groups(ctx.findings, ctx.rules)
    deadlines = sorted(f.deadline for f in ctx.findings if f.deadline)
    counts = {sev: sum(1 for f in ctx.findings if f.severity == sev) for sev in SEVERITY_ORDER}
    waived = waived_rows(ctx.unit)
    annexes = [CHECKLIST_ANNEX] + ([WAIVED_ANNEX] if waived else [])
    counts_list = [(sev, n) for sev, n in counts.items() if n]
    counts_text = ("（" + "、".join(f"{sev}风险{n}个" for sev, n in counts_list) + "）") if counts_list else ""
    waived_text = f"，另有{len(waived)}个问题经批准豁免（见附件{len(annexes)}）" if waived else ""
    return {
        "unit": ctx.unit,
        "run": ctx.run,
        "issuer": ctx.run.issuer or DEFAULT_ISSUER,
        "doc_no": ctx.doc_no,
        "title": notice_title(ctx.unit),
        "addressee": ctx.unit.name or ctx.unit.unit,
        "parent": ctx.unit.parent,
        "period": ctx.unit.period,
        "as_of": ctx.run.as_of,
        "pack": {"id": ctx.run.pack_id, "title": ctx.run.pack_title, "version": ctx.run.pack_version},
        "groups": groups,
        "total": len(ctx.findings),
        "counts": counts_list,
        "counts_text": counts_text,        # the counts as the basis sentence prints them (for Word templates)
        "waived_text": waived_text,
        "rules_total": len(ctx.rules),
        "earliest_deadline": deadlines[0] if deadlines else None,
        "latest_deadline": deadlines[-1] if deadlines else None,
        "checklist": checklist_rows(ctx.unit, ctx.rules, ctx.findings),
        "waived": waived,
        "annexes": annexes,
        "annex_no": {name: n for n, name in enumerate(annexes, start=1)},
        "dash": DASH,
        "index": index_view(ctx.unit.index, ctx.previous_index) if ctx.unit.index is not None else None,
        "index_title": INDEX_SECTION,
    }


def render_notice_html(ctx: NoticeContext, env: SandboxedEnvironment) -> str:
    """The unit's 整改通知书 as self-contained HTML (reports/notice.html.j2)."""
    return render_report(env, HTML_TEMPLATE, notice_context(ctx))


def render_notice_md(ctx: NoticeContext, env: SandboxedEnvironment) -> str:
    """The unit's 整改通知书 as Markdown (reports/notice.md.j2)."""
    return render_report(env, MD_TEMPLATE, notice_context(ctx))


def _write_notices(ctx: "OutputContext", ext: str,
                   render_one: Callable[[NoticeContext, SandboxedEnvironment], str]) -> list[tuple[str, str]]:
    env = report_env(ctx.templates)
    return [(notice_path(n.unit.unit, ext), render_one(n, env))
            for n in build_notice_contexts(ctx.run, ctx.units, ctx.rules, ctx.extras.get("index_previous"))]


def write_html(ctx: "OutputContext") -> list[tuple[str, str]]:
    """Output format `html`: notices/<unit>.html for every unit with open findings."""
    return _write_notices(ctx, "html", render_notice_html)


def write_md(ctx: "OutputContext") -> list[tuple[str, str]]:
    """Output format `md`: notices/<unit>.md for every unit with open findings."""
    return _write_notices(ctx, "md", render_notice_md)
