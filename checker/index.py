"""融合度指数 (index.md): one score per unit and per dimension, read off the unit's checklist.

A pure function of the checklist (rule id → fired | passed | not_applicable | missing_data), the
rules' severities and the pack's `index:` section. It never judges anything itself: the same run
gives the same index, and a unit whose checklist shows nothing fired scores 100.

Arithmetic is exact (fractions); rounding is half-up with `decimal`, so 83.35 becomes 83.4 and never
83.3 as binary floating point and `round()` would give.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from typing import Any, Mapping

from checker.findings import FIRED, NOT_APPLICABLE, PASSED, SEVERITY_WEIGHT

NOT_APPLICABLE_LABEL = "不适用"
_DIVISION = Context(prec=60)


@dataclass(frozen=True)
class Dimension:
    """One dimension of the index: an id (a findings.json key), a Chinese name and its rules."""

    id: str
    name: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Grade:
    """A grade band: the grade applies from `min` up (the first band whose min ≤ overall wins)."""

    min: float
    name: str


@dataclass(frozen=True)
class IndexSpec:
    """A pack's `index:` section."""

    dimensions: tuple[Dimension, ...]
    grades: tuple[Grade, ...]

    def dimension_of(self, rule_id: str) -> Dimension | None:
        """The dimension a rule belongs to (None: in none)."""
        for dim in self.dimensions:
            if rule_id in dim.rules:
                return dim
        return None


@dataclass(frozen=True)
class DimensionScore:
    """A unit's score in one dimension, with the rules it rests on."""

    id: str
    name: str
    score: float | None            # rounded half-up to one decimal; None: no rule fired or passed (不适用)
    exact: Fraction | None         # the unrounded score (what the overall mean is taken over)
    fired: tuple[str, ...]         # rules of the dimension that fired (open or waived)
    passed: tuple[str, ...]
    left_out: tuple[str, ...]      # not_applicable or missing_data (or not checked)

    @property
    def shown(self) -> str:
        """The score as reports print it: one decimal, or 不适用."""
        return NOT_APPLICABLE_LABEL if self.score is None else f"{self.score:.1f}"


@dataclass(frozen=True)
class UnitIndex:
    """A unit's 融合度指数: overall, grade, coverage and one score per dimension."""

    overall: float | None
    grade: str | None
    coverage: float | None
    dimensions: tuple[DimensionScore, ...]

    def to_json(self) -> dict[str, Any]:
        """The `units[].index` entry of findings.json."""
        return {"overall": self.overall, "grade": self.grade, "coverage": self.coverage,
                "dimensions": {d.id: d.score for d in self.dimensions}}

    @property
    def shown(self) -> str:
        """The overall index as reports print it: one decimal, or 不适用."""
        return NOT_APPLICABLE_LABEL if self.overall is None else f"{self.overall:.1f}"


def round_half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """`value` rounded half-up (away from zero at .5) to `places` decimals, exactly."""
    if isinstance(value, Fraction):
        value = _DIVISION.divide(Decimal(value.numerator), Decimal(value.denominator))
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def severity_weight(severity: str) -> int:
    """The weight of a severity in the index: 高 3, 中 2, 低 1 (a pack's other severities 0)."""
    return SEVERITY_WEIGHT.get(severity, 0)


def dimension_score(dim: Dimension, checks: Mapping[str, str], severities: Mapping[str, str]) -> DimensionScore:
    """One dimension's score: 100 × (1 − Σw fired / Σw fired-or-passed); None when nothing fired or passed."""
    fired = tuple(r for r in dim.rules if checks.get(r) == FIRED)
    passed = tuple(r for r in dim.rules if checks.get(r) == PASSED)
    left_out = tuple(r for r in dim.rules if checks.get(r) not in (FIRED, PASSED))
    lost = sum(severity_weight(severities.get(r, "")) for r in fired)
    total = lost + sum(severity_weight(severities.get(r, "")) for r in passed)
    if not total:
        return DimensionScore(dim.id, dim.name, None, None, fired, passed, left_out)
    exact = 100 * (1 - Fraction(lost, total))
    return DimensionScore(dim.id, dim.name, float(round_half_up(exact, 1)), exact, fired, passed, left_out)


def grade_of(overall: float | None, grades: tuple[Grade, ...]) -> str | None:
    """The first grade whose `min` ≤ overall (None when overall is None or no band matches)."""
    if overall is None:
        return None
    for grade in grades:
        if Decimal(str(grade.min)) <= Decimal(str(overall)):
            return grade.name
    return None


def unit_index(checks: Mapping[str, str], severities: Mapping[str, str], spec: IndexSpec) -> UnitIndex:
    """The 融合度指数 of one unit from its checklist (`checks`) and its rules' severities (rule id → 高/中/低)."""
    scores = tuple(dimension_score(dim, checks, severities) for dim in spec.dimensions)
    exact = [d.exact for d in scores if d.exact is not None]
    overall = float(round_half_up(sum(exact, Fraction(0)) / len(exact), 1)) if exact else None
    in_dimensions = [r for dim in spec.dimensions for r in dim.rules if r in checks]
    considered = [r for r in in_dimensions if checks[r] != NOT_APPLICABLE]
    counted = [r for r in considered if checks[r] in (FIRED, PASSED)]
    coverage = float(round_half_up(Fraction(len(counted), len(considered)), 3)) if considered else None
    return UnitIndex(overall, grade_of(overall, spec.grades), coverage, scores)
