"""The 融合度指数 (index.md) computed by hand: every rule of the contract's Score section."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from checker.index import Dimension, Grade, IndexSpec, grade_of, round_half_up, unit_index

GRADES = (Grade(90, "优"), Grade(75, "良"), Grade(60, "中"), Grade(0, "差"))
SPEC = IndexSpec((Dimension("a", "甲", ("A1", "A2", "A3")), Dimension("b", "乙", ("B1", "B2")),
                  Dimension("c", "丙", ("C1",))), GRADES)
SEV = {"A1": "高", "A2": "中", "A3": "低", "B1": "高", "B2": "低", "C1": "中"}


def test_all_clean_scores_100_in_every_dimension():
    idx = unit_index({r: "passed" for r in SEV}, SEV, SPEC)
    assert idx.to_json() == {"overall": 100.0, "grade": "优", "coverage": 1.0,
                             "dimensions": {"a": 100.0, "b": 100.0, "c": 100.0}}


def test_fired_costs_its_weight_and_passed_costs_nothing():
    checks = {"A1": "fired", "A2": "passed", "A3": "passed", "B1": "passed", "B2": "fired", "C1": "passed"}
    idx = unit_index(checks, SEV, SPEC)
    # a: 100 × (1 − 3/6) = 50; b: 100 × (1 − 1/4) = 75; c: 100; overall (50 + 75 + 100) / 3 = 75
    assert idx.to_json()["dimensions"] == {"a": 50.0, "b": 75.0, "c": 100.0}
    assert idx.overall == 75.0 and idx.grade == "良"


def test_a_waived_finding_still_costs_its_weight():
    # the checklist says fired whether the finding is open or waived: the index reads the checklist
    checks = {"A1": "passed", "A2": "fired", "A3": "passed", "B1": "passed", "B2": "passed", "C1": "passed"}
    idx = unit_index(checks, SEV, SPEC)
    assert idx.dimensions[0].score == 66.7          # 100 × (1 − 2/6) = 66.666…
    assert idx.overall == 88.9                      # (66.666… + 100 + 100) / 3 = 88.888…


def test_a_dimension_with_only_not_applicable_rules_is_null_and_left_out_of_the_mean():
    checks = {"A1": "fired", "A2": "passed", "A3": "passed", "B1": "not_applicable", "B2": "not_applicable",
              "C1": "passed"}
    idx = unit_index(checks, SEV, SPEC)
    assert idx.to_json()["dimensions"] == {"a": 50.0, "b": None, "c": 100.0}
    assert idx.dimensions[1].shown == "不适用"
    assert idx.overall == 75.0                      # (50 + 100) / 2
    assert idx.coverage == 1.0                      # 4 scored of 4 applicable


def test_missing_data_leaves_the_rule_out_of_the_score_but_not_out_of_coverage():
    checks = {"A1": "missing_data", "A2": "fired", "A3": "passed", "B1": "passed", "B2": "passed", "C1": "passed"}
    idx = unit_index(checks, SEV, SPEC)
    # a: 100 × (1 − 2/3) = 33.333…; coverage 5 / 6 = 0.8333… → 0.833
    assert idx.dimensions[0].score == 33.3
    assert idx.coverage == 0.833
    assert idx.overall == 77.8                      # (33.333… + 200) / 3 = 77.777…


def test_a_dimension_with_only_missing_data_is_null():
    checks = {"A1": "passed", "A2": "passed", "A3": "passed", "B1": "passed", "B2": "passed", "C1": "missing_data"}
    idx = unit_index(checks, SEV, SPEC)
    assert idx.to_json()["dimensions"]["c"] is None
    assert idx.coverage == 0.833                    # 5 / 6


def test_a_per_item_rule_costs_once_however_many_items_fired():
    # a per-item rule with 5 findings is one `fired` entry in the checklist
    from checker.findings import UnitResult
    from checker.pipeline.scoring import with_index
    checks = {"A1": "passed", "A2": "passed", "A3": "fired", "B1": "passed", "B2": "passed", "C1": "passed"}
    result = UnitResult("U", "单位", None, "党支部", "2025-01-01/2025-12-31", "u.yaml", (), checks)
    scored = with_index(result, SPEC, SEV)
    assert scored.index.dimensions[0].score == 83.3     # 100 × (1 − 1/6), not 1 − 5/6
    assert scored.to_json()["index"]["overall"] == 94.4  # (83.333… + 200) / 3 = 94.444…


def test_overall_is_the_mean_of_the_unrounded_scores():
    spec = IndexSpec((Dimension("a", "甲", ("A1", "A2")), Dimension("b", "乙", ("B1", "B2"))), GRADES)
    sev = {"A1": "中", "A2": "低", "B1": "中", "B2": "低"}
    checks = {"A1": "passed", "A2": "fired", "B1": "passed", "B2": "fired"}
    idx = unit_index(checks, sev, spec)
    # each 100 × (1 − 1/3) = 66.666… → shown 66.7, but the mean is of 66.666…, not of 66.7
    assert [d.score for d in idx.dimensions] == [66.7, 66.7]
    assert idx.overall == 66.7
    spec3 = IndexSpec(spec.dimensions + (Dimension("c", "丙", ("C1",)),), GRADES)
    idx3 = unit_index({**checks, "C1": "passed"}, {**sev, "C1": "高"}, spec3)
    assert idx3.overall == 77.8                     # (66.666… × 2 + 100) / 3 = 77.777…; from rounded: 77.8 too
    assert idx3.dimensions[0].exact == Fraction(200, 3)


def test_half_up_rounding_at_the_boundaries():
    assert round_half_up(Fraction(8335, 100), 1) == Decimal("83.4")
    assert round_half_up(Fraction(8325, 100), 1) == Decimal("83.3")      # banker's rounding would give 83.2
    assert round(83.35, 1) == 83.3                                        # why decimal and not round()
    assert round_half_up(Fraction(8334999, 100000), 1) == Decimal("83.3")
    assert round_half_up(Fraction(5, 6), 3) == Decimal("0.833")
    assert round_half_up(Fraction(5, 8), 2) == Decimal("0.63")           # 0.625 → 0.63


def test_a_dimension_score_on_a_half_boundary_rounds_up():
    # weights 16 in all: 3 + 3 + 3 + 3 + 2 + 1 + 1 fired 3 → 100 × (1 − 3/16) = 81.25 → 81.3 (not 81.2)
    rules = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
    sev = dict(zip(rules, ("高", "高", "高", "高", "中", "低", "低")))
    spec = IndexSpec((Dimension("d", "丁", rules),), GRADES)
    checks = {r: "passed" for r in rules} | {"R1": "fired"}
    idx = unit_index(checks, sev, spec)
    assert idx.dimensions[0].score == 81.3 and idx.overall == 81.3 and idx.grade == "良"
    # 100 × (1 − 1/16) = 93.75 → 93.8
    assert unit_index({r: "passed" for r in rules} | {"R6": "fired"}, sev, spec).overall == 93.8


def test_the_overall_rounds_half_up_from_the_exact_mean():
    # dimensions 81.25 and 100 ×4: mean 481.25 / 5 = 96.25 → 96.3 (binary floats and round() give 96.2)
    rules = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
    sev = dict(zip(rules, ("高", "高", "高", "高", "中", "低", "低"))) | {f"S{i}": "中" for i in range(4)}
    spec = IndexSpec((Dimension("d", "丁", rules),) + tuple(Dimension(f"s{i}", f"S{i}", (f"S{i}",)) for i in range(4)),
                     GRADES)
    checks = {r: "passed" for r in sev} | {"R1": "fired"}
    assert unit_index(checks, sev, spec).overall == 96.3


def test_coverage_counts_rules_of_all_dimensions_that_are_not_not_applicable():
    checks = {"A1": "fired", "A2": "missing_data", "A3": "not_applicable", "B1": "passed", "B2": "missing_data",
              "C1": "missing_data"}
    idx = unit_index(checks, SEV, SPEC)
    # scored: A1, B1 = 2; not not_applicable: A1, A2, B1, B2, C1 = 5 → 0.4
    assert idx.coverage == 0.4
    assert idx.to_json()["dimensions"] == {"a": 0.0, "b": 100.0, "c": None}
    assert idx.overall == 50.0 and idx.grade == "差"
    # 2 of 3 → 0.6666… → 0.667
    assert unit_index({"A1": "passed", "A2": "passed", "A3": "missing_data"}, SEV, SPEC).coverage == 0.667


def test_all_null_gives_a_null_index():
    idx = unit_index({r: "not_applicable" for r in SEV}, SEV, SPEC)
    assert idx.to_json() == {"overall": None, "grade": None, "coverage": None,
                             "dimensions": {"a": None, "b": None, "c": None}}
    assert idx.shown == "不适用"


def test_rules_outside_the_dimensions_do_not_count():
    checks = {r: "passed" for r in SEV} | {"X01": "fired", "MAN-1": "fired"}
    assert unit_index(checks, SEV | {"X01": "高"}, SPEC).overall == 100.0


@pytest.mark.parametrize("overall, grade", [(90.0, "优"), (89.9, "良"), (75.0, "良"), (74.9, "中"), (60.0, "中"),
                                            (59.9, "差"), (0.0, "差"), (None, None)])
def test_the_grade_is_the_first_band_whose_min_is_at_most_the_overall(overall, grade):
    assert grade_of(overall, GRADES) == grade
