"""summary.html: every unit of a run at a glance — counts by severity, tag and rule, ranking, roll-up by parent,
heat map unit × tag and SVG charts. The numbers are computed here; reports/summary.html.j2 only lays them out.

Large runs stay small and quick to open: the first rows of each long table are shown, the rest sit in
collapsed <details> blocks (not laid out until opened), and units without open findings are listed compactly.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from markupsafe import Markup

from checker.findings import (CHECK_LABELS, FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED, SEVERITY_ORDER, SEVERITY_WEIGHT, Finding, RuleMeta, UnitResult)
from checker.outputs import charts
from checker.outputs.findings_json import rule_id_key
from checker.outputs.index_summary import index_summary_of, score_css
from checker.outputs.naming import href, notice_path
from checker.outputs.notices import COMPOSITE_GROUP, DEFAULT_ISSUER, UNCHECKED_LABEL, notice_units, tag_order
from checker.outputs.templating import report_env
from checker.render import render_report

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext

SUMMARY_TEMPLATE = "summary.html.j2"
SUMMARY_PATH = "summary.html"
NO_PARENT = "（未填写上级组织）"
FIRST_ROWS = 100                  # rows of a long table shown open
CHUNK_ROWS = 500                  # rows per collapsed block after them
TOP_CHART_ROWS = 20               # units / parents / rules drawn in a chart
MAX_PROBLEMS_SHOWN = 5            # validation problems listed per invalid unit
NOTICE_FORMATS = ("html", "pdf", "docx", "md")   # which notice a unit's link opens, first available wins


@dataclass(frozen=True)
class SeverityRow:
    """Findings of one severity: open, waived, and units with an open finding of it."""

    severity: str
    weight: int
    open: int
    waived: int
    units: int


@dataclass(frozen=True)
class TagRow:
    """Open findings carrying one tag (a diagnosis of the paper) and the units they are in."""

    tag: str
    open: int
    waived: int
    units: int


@dataclass(frozen=True)
class RuleRow:
    """One rule: its findings, and how many units it fired / passed / did not apply / lacked data for."""

    rule: str
    title: str
    severity: str
    tags: str
    open: int
    waived: int
    states: tuple[int, int, int, int]        # fired, passed, not_applicable, missing_data (units)


@dataclass(frozen=True)
class RankedUnit:
    """A unit with open findings in the ranking by weighted score (高 3, 中 2, 低 1)."""

    rank: int
    unit: str
    name: str
    parent: str
    by_severity: tuple[int, ...]             # in `severities` order
    total: int
    waived: int
    score: int
    notice: str | None                      # relative link to the unit's notice
    heat: tuple[tuple[int, int], ...]        # (count, level) per heat-map column


@dataclass(frozen=True)
class ParentRow:
    """Roll-up of the units under one parent organisation."""

    parent: str
    units: int
    invalid: int
    with_findings: int
    by_severity: tuple[int, ...]
    total: int
    score: int
    heat: tuple[tuple[int, int], ...]

    @property
    def average(self) -> str:
        """Average weighted score per checked unit, one decimal."""
        checked = self.units - self.invalid
        return f"{self.score / checked:.1f}" if checked else "—"


@dataclass(frozen=True)
class CleanUnit:
    """A checked unit without open findings (possibly with waived ones)."""

    unit: str
    name: str
    waived: int


@dataclass(frozen=True)
class InvalidRow:
    """A unit that was not checked (未检查) because its record is invalid, with its first problems."""

    unit: str
    name: str
    parent: str
    source: str
    problems: tuple[str, ...]
    more: int


@dataclass(frozen=True)
class Chunk:
    """A slice of a long table: rows start…end (1-based, inclusive), shown open or collapsed."""

    start: int
    end: int
    rows: tuple[Any, ...]
    open: bool


@dataclass
class SummaryData:
    """Everything summary.html shows, computed from the run's results."""

    severities: tuple[str, ...]
    heat_columns: tuple[str, ...]
    overview: dict[str, int]
    severity_rows: list[SeverityRow]
    tag_rows: list[TagRow]
    rule_rows: list[RuleRow]
    ranking: list[RankedUnit]
    parents: list[ParentRow]
    clean: list[CleanUnit]
    invalid: list[InvalidRow]
    period: tuple[str | None, str | None]
    charts: dict[str, Markup] = field(default_factory=dict)


def unit_score(findings: Iterable[Finding]) -> int:
    """The weighted score of open findings: 高 3, 中 2, 低 1 (other severities 0)."""
    return sum(SEVERITY_WEIGHT.get(f.severity, 0) for f in findings if f.status == "open")


def chunks(rows: Sequence[Any], first: int = FIRST_ROWS, size: int = CHUNK_ROWS) -> list[Chunk]:
    """Rows split for display: the first `first` open, then collapsed blocks of `size`."""
    out = [Chunk(1, min(first, len(rows)), tuple(rows[:first]), True)] if rows else []
    for start in range(first, len(rows), size):
        block = tuple(rows[start:start + size])
        out.append(Chunk(start + 1, start + len(block), block, False))
    return out


def _severities(rules: Mapping[str, RuleMeta], findings: Iterable[Finding]) -> tuple[str, ...]:
    extra = {r.severity for r in rules.values()} | {f.severity for f in findings}
    return SEVERITY_ORDER + tuple(sorted(s for s in extra if s not in SEVERITY_ORDER))


def _heat_key(f: Finding, rules: Mapping[str, RuleMeta]) -> list[str]:
    meta = rules.get(f.rule)
    if f.composite or (meta is not None and meta.composite):
        return [COMPOSITE_GROUP]
    return list(f.tags)


def _notice_ext(formats: Sequence[str] | None) -> str | None:
    if formats is None:
        return "html"
    return next((ext for ext in NOTICE_FORMATS if ext in formats), None)


@dataclass(frozen=True)
class _UnitTally:
    """One checked unit's open findings counted: by severity, total, waived, score, per heat-map column."""

    by_severity: tuple[int, ...]
    total: int
    waived: int
    score: int
    heat: Counter


def _tally(u: UnitResult, severities: Sequence[str], rules: Mapping[str, RuleMeta]) -> _UnitTally:
    opened = [f for f in u.findings if f.status == "open"]
    sev = Counter(f.severity for f in opened)
    return _UnitTally(tuple(sev.get(s, 0) for s in severities), len(opened), len(u.findings) - len(opened),
                      unit_score(opened), Counter(col for f in opened for col in _heat_key(f, rules)))


def _heat_cells(heat: Counter, columns: Sequence[str], maximum: int) -> tuple[tuple[int, int], ...]:
    return tuple((heat.get(c, 0), charts.heat_level(heat.get(c, 0), maximum)) for c in columns)


def _ranking(checked: Sequence[UnitResult], tally: Mapping[str, _UnitTally], columns: Sequence[str],
             links: Mapping[str, str]) -> list[RankedUnit]:
    """Units with open findings by weighted score (then by 高, 中, 低 counts); equal keys share a rank."""
    heat_max = max((c for t in tally.values() for c in t.heat.values()), default=0)
    ordered = sorted((u for u in checked if tally[u.unit].total),
                     key=lambda u: (-tally[u.unit].score, tuple(-n for n in tally[u.unit].by_severity)))
    ranking: list[RankedUnit] = []
    previous: tuple[Any, ...] | None = None
    for position, u in enumerate(ordered, start=1):
        t = tally[u.unit]
        key = (t.score, t.by_severity)
        rank = ranking[-1].rank if ranking and previous == key else position
        previous = key
        ranking.append(RankedUnit(rank, u.unit, u.name, u.parent or NO_PARENT, t.by_severity, t.total, t.waived,
                                  t.score, links.get(u.unit), _heat_cells(t.heat, columns, heat_max)))
    return ranking


def _rule_rows(rules: Mapping[str, RuleMeta], checked: Sequence[UnitResult], findings: Sequence[Finding]) -> list[RuleRow]:
    """Every rule in rule-id order (as the notices' checklist) with its findings and checklist states."""
    by_open = Counter(f.rule for f in findings if f.status == "open")
    by_waived = Counter(f.rule for f in findings if f.status != "open")
    states: dict[str, Counter] = defaultdict(Counter)
    for u in checked:
        for rule_id, state in u.checks.items():
            states[rule_id][state] += 1
    rows = []
    for rule_id in sorted(set(rules) | {f.rule for f in findings}, key=rule_id_key):
        meta = rules.get(rule_id)
        tags = "、".join(meta.tags) if meta and meta.tags else (COMPOSITE_GROUP if meta and meta.composite else "")
        st = states[rule_id]
        rows.append(RuleRow(rule_id, meta.title if meta else rule_id, meta.severity if meta else "", tags,
                            by_open[rule_id], by_waived[rule_id],
                            (st[FIRED], st[PASSED], st[NOT_APPLICABLE], st[MISSING_DATA])))
    return rows


def _parents(units: Sequence[UnitResult], tally: Mapping[str, _UnitTally], n_severities: int,
             columns: Sequence[str]) -> list[ParentRow]:
    """Roll-up by parent organisation (units without one under NO_PARENT), highest score first."""
    groups: dict[str, list[UnitResult]] = defaultdict(list)
    for u in units:
        groups[u.parent or NO_PARENT].append(u)
    sums = []
    for parent, members in groups.items():
        good = [tally[u.unit] for u in members if u.status != "invalid"]
        heat: Counter = Counter()
        for t in good:
            heat.update(t.heat)
        by_severity = tuple(sum(t.by_severity[i] for t in good) for i in range(n_severities))
        sums.append((parent, members, good, by_severity, heat))
    heat_max = max((c for *_, heat in sums for c in heat.values()), default=0)
    rows = [ParentRow(parent, len(members), len(members) - len(good), sum(1 for t in good if t.total), by_severity,
                      sum(by_severity), sum(t.score for t in good), _heat_cells(heat, columns, heat_max))
            for parent, members, good, by_severity, heat in sums]
    return sorted(rows, key=lambda p: (-p.score, -p.total, p.parent))


def _invalid_rows(units: Sequence[UnitResult]) -> list[InvalidRow]:
    rows = []
    for u in units:
        problems = tuple(u.problems[:MAX_PROBLEMS_SHOWN])
        rows.append(InvalidRow(u.unit, u.name, u.parent or NO_PARENT, u.source, problems,
                               max(len(u.problems) - len(problems), 0)))
    return rows


def build_summary(ctx: "OutputContext") -> SummaryData:
    """Compute every number of summary.html from the run (no rendering)."""
    rules = ctx.rules
    checked = [u for u in ctx.units if u.status != "invalid"]
    invalid_units = [u for u in ctx.units if u.status == "invalid"]
    findings = [f for u in checked for f in u.findings]
    opened = [f for f in findings if f.status == "open"]
    severities = _severities(rules, findings)
    tags = [t for t, _ in sorted(tag_order(rules).items(), key=lambda kv: kv[1])]
    tags += sorted({t for f in findings for t in f.tags} - set(tags))
    has_composites = any(m.composite for m in rules.values()) or any(
        COMPOSITE_GROUP in _heat_key(f, rules) for f in findings)
    columns = tuple(([COMPOSITE_GROUP] if has_composites else []) + tags)
    tally = {u.unit: _tally(u, severities, rules) for u in checked}
    ext = _notice_ext(ctx.extras.get("formats"))
    noticed = {u.unit for u in notice_units(checked)}
    links = {unit: href(notice_path(unit, ext)) for unit in noticed} if ext else {}

    ranking = _ranking(checked, tally, columns, links)
    clean = [CleanUnit(u.unit, u.name, tally[u.unit].waived) for u in checked if not tally[u.unit].total]
    severity_rows = [SeverityRow(s, SEVERITY_WEIGHT.get(s, 0), sum(1 for f in opened if f.severity == s),
                                 sum(1 for f in findings if f.severity == s and f.status != "open"),
                                 len({f.unit for f in opened if f.severity == s})) for s in severities]
    tag_rows = []
    for col in columns:
        tagged = [f for f in findings if col in _heat_key(f, rules)]
        tagged_open = [f for f in tagged if f.status == "open"]
        tag_rows.append(TagRow(col, len(tagged_open), len(tagged) - len(tagged_open),
                               len({f.unit for f in tagged_open})))
    starts = sorted(u.period.split("/")[0] for u in checked if u.period)
    ends = sorted(u.period.split("/")[-1] for u in checked if u.period)
    overview = {
        "units": len(ctx.units), "checked": len(checked), "invalid": len(invalid_units),
        "with_findings": len(ranking), "clean": len(clean), "notices": len(noticed),
        "open": len(opened), "waived": len(findings) - len(opened), "score": sum(t.score for t in tally.values()),
    }
    data = SummaryData(severities, columns, overview, severity_rows, tag_rows, _rule_rows(rules, checked, findings),
                       ranking, _parents(ctx.units, tally, len(severities), columns), clean,
                       _invalid_rows(invalid_units), (starts[0] if starts else None, ends[-1] if ends else None))
    data.charts = _charts(data)
    return data


def _weighted(by_severity: Sequence[int], severities: Sequence[str]) -> tuple[int, ...]:
    """Each weighted severity's share of the score (count × weight), so that a bar's length is the score."""
    return tuple(n * SEVERITY_WEIGHT[s] for n, s in zip(by_severity, severities) if SEVERITY_WEIGHT.get(s))


def _charts(data: SummaryData) -> dict[str, Markup]:
    sevs = data.severities
    series = [(f"{s}（×{SEVERITY_WEIGHT[s]}）", charts.SEVERITY_COLORS.get(s, charts.BAR_COLOR))
              for s in sevs if SEVERITY_WEIGHT.get(s)]

    def counts(by_severity: Sequence[int]) -> str:
        return "，".join(f"{s} {n}" for s, n in zip(sevs, by_severity))
    return {
        "severity": charts.bar_chart(
            [charts.Bar(f"{r.severity}风险", r.open, charts.SEVERITY_COLORS.get(r.severity)) for r in data.severity_rows],
            title="按风险等级统计的问题数", width=480),
        "tags": charts.bar_chart([charts.Bar(r.tag, r.open) for r in data.tag_rows],
                                 title="按问题类别（诊断）统计的问题数", width=480),
        "rules": charts.bar_chart(
            [charts.Bar(f"{r.rule} {r.title}", r.open, charts.SEVERITY_COLORS.get(r.severity))
             for r in sorted((r for r in data.rule_rows if r.open), key=lambda r: -r.open)[:TOP_CHART_ROWS]],
            title=f"发现问题最多的规则（前{TOP_CHART_ROWS}条）", width=720, empty_text="未发现问题"),
        "units": charts.stacked_bar_chart(
            [charts.StackedBar(f"{u.rank}. {u.name or u.unit}", _weighted(u.by_severity, sevs),
                               f"{u.unit} {u.name}：加权分 {u.score}（{counts(u.by_severity)}）")
             for u in data.ranking[:TOP_CHART_ROWS]],
            series, title=f"问题最突出的单位（加权分，前{TOP_CHART_ROWS}名）", width=720, empty_text="未发现问题"),
        "parents": charts.stacked_bar_chart(
            [charts.StackedBar(p.parent, _weighted(p.by_severity, sevs),
                               f"{p.parent}：加权分 {p.score}（{counts(p.by_severity)}）")
             for p in data.parents[:TOP_CHART_ROWS] if p.total],
            series, title=f"各上级组织所属单位的加权分（前{TOP_CHART_ROWS}个）", width=720, empty_text="未发现问题"),
    }


def summary_context(ctx: "OutputContext") -> dict[str, Any]:
    """The variables reports/summary.html.j2 lays out."""
    data = build_summary(ctx)
    index = index_summary_of(ctx.units, dict(ctx.extras))      # 融合度指数 (checker.outputs.index_summary)
    return {
        "run": ctx.run,
        "issuer": ctx.run.issuer or DEFAULT_ISSUER,
        "pack": {"id": ctx.run.pack_id, "title": ctx.run.pack_title, "version": ctx.run.pack_version},
        "data": data,
        "ranking_chunks": chunks(data.ranking),
        "parent_chunks": chunks(data.parents),
        "rule_count": len(ctx.rules),
        "check_labels": [CHECK_LABELS[s] for s in (FIRED, PASSED, NOT_APPLICABLE, MISSING_DATA)],
        "unchecked_label": UNCHECKED_LABEL,
        "heat_css": Markup(charts.heat_css()),
        "severity_colors": charts.SEVERITY_COLORS,
        "waivers": {name: len(ctx.waivers.get(name) or ()) for name in ("applied", "expired", "unused")},
        "index": index,
        "index_chunks": chunks(index.ranking) if index else [],
        "index_css": Markup(score_css()),
    }


def render_summary(ctx: "OutputContext") -> str:
    """summary.html as text (reports/summary.html.j2, or the user's copy under --templates)."""
    return render_report(report_env(ctx.templates), SUMMARY_TEMPLATE, summary_context(ctx))


def write_summary(ctx: "OutputContext") -> list[tuple[str, str]]:
    """Output format `summary`: summary.html for all units of the run."""
    return [(SUMMARY_PATH, render_summary(ctx))]
