"""The bundled examples: every checked unit's index in findings.json, recomputed by hand from its checklist.

The recomputation below is written out independently of checker.index (plain integer sums and
Decimal half-up rounding), straight from the text of index.md.
"""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest

from checker.pack.loader import load_pack
from checker.pipeline.run import RunOptions, execute
from checker.resources import resource_dir

WEIGHT = {"高": 3, "中": 2, "低": 1}
DIMENSIONS = {   # index.md, the default pack
    "plan": ["SY01", "CD01", "PO02", "DC01", "DC02", "DC03"],
    "deploy": ["SY02", "BO01", "PO01"],
    "inspect": ["SY03", "FM07"],
    "assess": ["SY04", "BO02", "PO04", "PO05", "AS01", "AS02", "AS03", "AS04", "CD05"],
    "organise": ["RS01", "RS02", "RS03", "RS04", "RS06", "RS07", "RS08", "RS09", "BO03"],
    "people": ["BO04", "PO03", "CD02", "CD03", "CD04"],
    "substance": ["FM01", "FM02", "FM03", "FM04", "FM05", "FM06", "FM08", "RS05"],
    "rectify": ["RC01", "RC02", "RC03", "RC04"],
}


def _half_up(numerator: int, denominator: int, places: str) -> float:
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def by_hand(checks: dict[str, str], severity: dict[str, str], dimensions: dict[str, list[str]]) -> dict:
    """index.md's Score section, step by step, in integers until the final division."""
    exact: dict[str, tuple[int, int] | None] = {}
    for dim, rules in dimensions.items():
        lost = sum(WEIGHT[severity[r]] for r in rules if checks.get(r) == "fired")
        total = sum(WEIGHT[severity[r]] for r in rules if checks.get(r) in ("fired", "passed"))
        exact[dim] = (100 * (total - lost), total) if total else None       # score = num / den
    scores = {d: _half_up(*v, "0.1") if v else None for d, v in exact.items()}
    present = [v for v in exact.values() if v]
    overall = None
    if present:
        common = 1
        for _, den in present:
            common *= den
        numerator = sum(num * (common // den) for num, den in present)
        overall = _half_up(numerator, common * len(present), "0.1")
    listed = [r for rules in dimensions.values() for r in rules if r in checks]
    applicable = [r for r in listed if checks[r] != "not_applicable"]
    scored = [r for r in applicable if checks[r] in ("fired", "passed")]
    coverage = _half_up(len(scored), len(applicable), "0.001") if applicable else None
    grade = None if overall is None else next(g for m, g in ((90, "优"), (75, "良"), (60, "中"), (0, "差")) if overall >= m)
    return {"overall": overall, "grade": grade, "coverage": coverage, "dimensions": scores}


def test_the_default_pack_declares_the_dimensions_of_index_md():
    pack = load_pack(None)
    assert {d.id: list(d.rules)[:len(DIMENSIONS[d.id])] for d in pack.index.dimensions} == DIMENSIONS
    assert [d.name for d in pack.index.dimensions] == ["同规划", "同布置", "同检查", "同考核", "组织建设", "队伍建设",
                                                       "工作实效", "整改落实"]
    assert [(g.min, g.name) for g in pack.index.grades] == [(90, "优"), (75, "良"), (60, "中"), (0, "差")]


@pytest.fixture(scope="module")
def findings_doc(tmp_path_factory):
    out = tmp_path_factory.mktemp("index-examples")
    execute(RunOptions(inputs=[str(resource_dir("examples") / "records")], out_dir=out, formats=["summary"],
                       fail_on="never"))
    return json.loads((out / "findings.json").read_text("utf-8"))


def test_every_checked_example_unit_has_the_index_its_checklist_gives(findings_doc):
    pack = load_pack(None)
    severity = {r.id: r.severity for r in pack.rules.values()}
    dimensions = {d.id: list(d.rules) for d in pack.index.dimensions}     # incl. rules added to the catalogue later
    checked = [u for u in findings_doc["units"] if u["status"] == "checked"]
    assert len(checked) >= 10
    for unit in checked:
        assert unit["index"] == by_hand(unit["checks"], severity, dimensions), unit["unit"]
    assert len({u["index"]["overall"] for u in checked}) > 3        # the examples are told apart
    assert any(u["index"]["overall"] == 100.0 for u in checked)     # GD-01 is clean
