"""summary.html's 融合度指数 sections: ranking by index, grade distribution, heat map unit × dimension,
mean per parent, the change since the previous run, and a radar chart of the run's mean scores.

Fed one unit at a time (`IndexSummary.add(IndexRow)`), so a streaming summary can keep it beside its
own accumulator; `build()` gives everything the template lays out. Nothing is recomputed from the
checklists: the rows carry each unit's index as checker.pipeline.scoring computed it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

from markupsafe import Markup

from checker.index import NOT_APPLICABLE_LABEL, round_half_up
from checker.outputs import charts
from checker.outputs.index_view import DASH, Change, IndexRow, change, percent_text

NO_PARENT = "（未填写上级组织）"
SCORE_LEVELS = 5                   # heat-map shades: 0 (≥ 90) … 5 (< 40); the score is printed in every cell
SCORE_BANDS = (90, 80, 70, 60, 40)
SCORE_SHADES = ("#ffffff", "#ececec", "#d4d4d4", "#b0b0b0", "#7a7a7a", "#444444")
TOP_CHART_ROWS = 20


@dataclass(frozen=True)
class RankedIndex:
    """A unit in the ranking by 融合度指数 (highest first; units with equal index share a rank)."""

    rank: int | None               # None: no index (every dimension 不适用)
    unit: str
    name: str
    parent: str
    overall: float | None
    shown: str
    grade: str
    coverage: str
    change: Change | None
    cells: tuple[tuple[str, int, str], ...]    # per dimension: (score text, shade level, 不适用 class or "")


@dataclass(frozen=True)
class GradeCount:
    """How many units got one grade."""

    grade: str
    units: int
    share: str


@dataclass(frozen=True)
class ParentIndex:
    """The mean index of the units under one parent organisation."""

    parent: str
    units: int
    mean: str
    mean_value: float | None
    dimensions: tuple[str, ...]
    change: Change | None


@dataclass
class IndexSummaryData:
    """Everything summary.html shows of the index."""

    dimensions: tuple[tuple[str, str], ...]    # (id, name)
    grades: tuple[str, ...]
    ranking: list[RankedIndex]
    grade_counts: list[GradeCount]
    parents: list[ParentIndex]
    mean: str
    mean_dimensions: tuple[str, ...]
    compared: int                              # units with a previous run's index
    improved: int
    declined: int
    charts: dict[str, Markup] = field(default_factory=dict)


def score_level(score: float | None) -> int:
    """The heat-map shade of a score: 0 for ≥ 90 … 5 for < 40 (None: 0, the cell says 不适用)."""
    if score is None:
        return 0
    for level, band in enumerate(SCORE_BANDS):
        if score >= band:
            return level
    return SCORE_LEVELS


def score_css(prefix: str = "ix") -> str:
    """CSS classes .ix0 … .ix5 for index heat-map cells (dark cells get white text: readable in grey)."""
    return "".join(f".{prefix}{level}{{background:{shade};color:{'#fff' if level >= 4 else '#000'}}}"
                   for level, shade in enumerate(SCORE_SHADES))


def _mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    total = sum(Decimal(str(v)) for v in values)
    return float(round_half_up(total / len(values), 1))


def _text(value: float | None) -> str:
    return NOT_APPLICABLE_LABEL if value is None else f"{value:.1f}"


class IndexSummary:
    """Accumulates the index rows of a run's checked units, in input order."""

    def __init__(self) -> None:
        self.rows: list[IndexRow] = []

    def add(self, row: IndexRow | None) -> None:
        """Take one unit's row (None — a unit without index — is ignored)."""
        if row is not None:
            self.rows.append(row)

    def build(self, grades: Sequence[str] = ()) -> IndexSummaryData | None:
        """The index sections of the summary (None when no unit has an index)."""
        return build_index_summary(self.rows, grades)


def build_index_summary(rows: Sequence[IndexRow], grades: Sequence[str] = ()) -> IndexSummaryData | None:
    """Ranking, grade distribution, heat map, parents and charts from the units' index rows."""
    if not rows:
        return None
    dims = tuple((d.id, d.name) for d in rows[0].index.dimensions)
    ordered = sorted(rows, key=lambda r: (r.index.overall is None, -(r.index.overall or 0)))
    ranking: list[RankedIndex] = []
    for position, row in enumerate(ordered, start=1):
        idx = row.index
        rank = None
        if idx.overall is not None:
            rank = ranking[-1].rank if ranking and ranking[-1].overall == idx.overall else position
        cells = tuple((d.shown, score_level(d.score), "na" if d.score is None else "") for d in idx.dimensions)
        ranking.append(RankedIndex(rank, row.unit, row.name, row.parent or NO_PARENT, idx.overall, idx.shown,
                                   idx.grade or DASH, percent_text(idx.coverage), row.change, cells))
    counted = Counter(r.index.grade for r in rows if r.index.grade)
    names = list(dict.fromkeys(list(grades) + sorted(counted, key=lambda g: -counted[g])))
    grade_counts = [GradeCount(g, counted.get(g, 0), percent_text(counted.get(g, 0) / len(rows))) for g in names]
    if any(r.index.grade is None for r in rows):
        none = sum(1 for r in rows if r.index.grade is None)
        grade_counts.append(GradeCount(NOT_APPLICABLE_LABEL, none, percent_text(none / len(rows))))
    groups: dict[str, list[IndexRow]] = {}
    for row in rows:
        groups.setdefault(row.parent or NO_PARENT, []).append(row)
    parents = []
    for parent, members in groups.items():
        mean = _mean([m.index.overall for m in members if m.index.overall is not None])
        before = _mean([m.previous["overall"] for m in members if m.previous and m.previous.get("overall") is not None])
        per_dim = tuple(_text(_mean([d.score for m in members for d in m.index.dimensions if d.id == dim_id
                                     and d.score is not None])) for dim_id, _ in dims)
        parents.append(ParentIndex(parent, len(members), _text(mean), mean, per_dim, change(mean, before)))
    parents.sort(key=lambda p: (p.mean_value is None, -(p.mean_value or 0), p.parent))
    mean_dims = [_mean([d.score for r in rows for d in r.index.dimensions if d.id == dim_id and d.score is not None])
                 for dim_id, _ in dims]
    changes = [r.change for r in rows if r.change is not None]
    data = IndexSummaryData(dims, tuple(names), ranking, grade_counts, parents,
                            _text(_mean([r.index.overall for r in rows if r.index.overall is not None])),
                            tuple(_text(v) for v in mean_dims), len(changes),
                            sum(1 for c in changes if c.delta > 0), sum(1 for c in changes if c.delta < 0))
    data.charts = _charts(data, rows, mean_dims)
    return data


def _charts(data: IndexSummaryData, rows: Sequence[IndexRow], mean_dims: Sequence[float | None]) -> dict[str, Markup]:
    series = [charts.RadarSeries("本次检查（全部单位平均）", tuple(mean_dims))]
    previous = [r.previous for r in rows if r.previous and r.previous.get("dimensions")]
    if previous:
        before = tuple(_mean([p["dimensions"][dim_id] for p in previous if p["dimensions"].get(dim_id) is not None])
                       for dim_id, _ in data.dimensions)
        series.append(charts.RadarSeries("上次检查（有上次结果的单位平均）", before))
    top = [r for r in data.ranking if r.overall is not None][:TOP_CHART_ROWS]
    return {
        "radar": charts.radar_chart([name for _, name in data.dimensions], series,
                                    title="全部单位各维度平均得分（0–100）", width=480),
        "ranking": charts.bar_chart([charts.Bar(f"{r.rank}. {r.name or r.unit}", r.overall or 0, "#555",
                                                f"{r.unit} {r.name}：融合度指数 {r.shown}（{r.grade}）")
                                     for r in top], title=f"融合度指数排名（前{TOP_CHART_ROWS}名）", width=720),
        "grades": charts.bar_chart([charts.Bar(g.grade, g.units, "#777") for g in data.grade_counts],
                                   title="融合度等级分布（单位数）", width=420),
    }


def index_summary_of(units: Sequence, extras: dict | None = None) -> IndexSummaryData | None:
    """The index sections for a finished run's units (the run's extras give previous runs and grade order)."""
    from checker.outputs.index_view import index_row
    extras = extras or {}
    acc = IndexSummary()
    for unit in units:
        acc.add(index_row(unit, extras.get("index_previous")))
    return acc.build(extras.get("index_grades") or ())
