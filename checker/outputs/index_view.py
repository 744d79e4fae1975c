"""The 融合度指数 as the reports show it: the score table and the radar chart of one unit, and the
per-unit rows the summary and `--format index` are built from (fed one unit at a time).

Everything here reads `UnitResult.index` (computed by checker.pipeline.scoring); nothing is recomputed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from markupsafe import Markup

from checker.findings import UnitResult
from checker.index import NOT_APPLICABLE_LABEL, UnitIndex
from checker.outputs import charts

INDEX_SECTION = "融合度评价"
DASH = "—"


@dataclass(frozen=True)
class DimensionRow:
    """One line of the score table: a dimension, its score and the rules behind it."""

    id: str
    name: str
    score: float | None
    shown: str                     # 83.3 or 不适用
    fired: tuple[str, ...]
    passed: int
    left_out: int
    previous: float | None = None  # the previous run's score (run history)

    @property
    def fired_text(self) -> str:
        """The rules that cost points, e.g. SY02、BO01 (— when none)."""
        return "、".join(self.fired) or DASH


@dataclass(frozen=True)
class IndexView:
    """What a notice shows in its 融合度评价 section."""

    overall: float | None
    shown: str
    grade: str
    coverage: float | None
    coverage_text: str             # 97.7%
    rows: tuple[DimensionRow, ...]
    chart: Markup
    thin: bool                     # coverage below one half: the index rests on little data
    previous: Mapping[str, Any] | None = None

    @property
    def change(self) -> "Change | None":
        """The change of the overall index since the previous run (None without one)."""
        return change(self.overall, (self.previous or {}).get("overall"))


@dataclass(frozen=True)
class Change:
    """A change since the previous run: ↑ 3.2, ↓ 1.0 or → 0.0."""

    delta: float
    arrow: str

    @property
    def text(self) -> str:
        """The change as printed: ↑3.2, ↓1.0, →0.0."""
        return f"{self.arrow}{abs(self.delta):.1f}"


def change(now: float | None, before: float | None) -> Change | None:
    """The difference of two one-decimal index values (None when either is missing)."""
    if now is None or before is None:
        return None
    delta = round((now * 10 - before * 10)) / 10        # both have one decimal: the difference is exact in tenths
    return Change(delta, "↑" if delta > 0 else ("↓" if delta < 0 else "→"))


def percent_text(share: float | None) -> str:
    """0.977 → 97.7%; None → —."""
    return DASH if share is None else f"{share * 100:.1f}%"


def index_view(index: UnitIndex, previous: Mapping[str, Any] | None = None, *, width: int = 460) -> IndexView:
    """The score table and radar chart of one unit's index (with the previous run's, when known)."""
    before = (previous or {}).get("dimensions") or {}
    rows = tuple(DimensionRow(d.id, d.name, d.score, d.shown, d.fired, len(d.passed), len(d.left_out),
                              before.get(d.id)) for d in index.dimensions)
    series = [charts.RadarSeries("本次检查", tuple(r.score for r in rows))]
    if previous and previous.get("dimensions"):
        series.append(charts.RadarSeries(f"上次检查（{previous.get('as_of', '')}）", tuple(r.previous for r in rows)))
    chart = charts.radar_chart([r.name for r in rows], series, title=f"{INDEX_SECTION}：各维度得分（0–100）",
                               width=width)
    return IndexView(index.overall, index.shown, index.grade or DASH, index.coverage, percent_text(index.coverage),
                     rows, chart, index.coverage is not None and index.coverage < 0.5, previous)


@dataclass(frozen=True)
class IndexRow:
    """One unit as the summary's index sections and index.xlsx see it (what an accumulator is fed)."""

    unit: str
    name: str
    parent: str | None
    index: UnitIndex
    previous: Mapping[str, Any] | None = None    # extras["index_previous"][unit] (run history)

    @property
    def change(self) -> Change | None:
        """The change of the overall index since the unit's previous run."""
        return change(self.index.overall, (self.previous or {}).get("overall"))


def index_row(unit: UnitResult, previous: Mapping[str, Mapping[str, Any]] | None = None) -> IndexRow | None:
    """The unit's row (None for units without an index: invalid ones, or a pack without `index:`)."""
    if unit.index is None:
        return None
    return IndexRow(unit.unit, unit.name, unit.parent, unit.index, (previous or {}).get(unit.unit))


def not_applicable(value: float | None) -> str:
    """A score as text: one decimal or 不适用."""
    return NOT_APPLICABLE_LABEL if value is None else f"{value:.1f}"
