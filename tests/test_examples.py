"""The bundled example records against the default pack: the expected table of examples/README.md.

`pbcheck demo` is the first thing a user runs, so its result is pinned: every rule of the catalogue
(except run-history rules) fires in some unit, GD-01 stays clean, and each unit gives exactly the
findings examples/README.md announces. A change to a rule or a record that alters the demo must
update the README table and this one together.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from checker.engine.check import check_unit
from checker.engine.compile import compile_pack
from checker.engine.durable import Engine
from checker.findings import UnitResult
from checker.pack.loader import load_pack
from checker.inputs.records import UnitRecord
from checker.inputs.loaders import load_units
from checker.resources import resource_dir

# examples/README.md "各单位及预期触发的规则": rule -> number of findings, per unit.
EXPECTED: dict[str, dict[str, int]] = {
    "GD-01": {},
    "GD-02": {"FM01": 2, "FM02": 1, "FM04": 1, "FM05": 5, "FM06": 1, "FM07": 2, "RS01": 1, "AS02": 1, "X01": 1},
    "GD-03": {"BO01": 1, "BO02": 1, "BO03": 1, "BO04": 1, "RS08": 2, "RS09": 1, "SY01": 1, "SY02": 1, "SY03": 1,
              "CD03": 1, "X02": 1, "X05": 1},
    "GD-04": {"PO01": 1, "PO02": 1, "PO03": 1, "PO04": 1, "PO05": 1, "CD01": 1, "X03": 1},
    "GD-05": {"RS01": 1, "RS03": 1, "RS04": 1, "RS05": 2, "RS06": 1, "CD02": 1, "CD05": 2, "DC01": 1, "X04": 1},
    "GD-06": {"RS01": 1, "RC01": 1, "X04": 1},
    "GD-07": {"FM03": 2, "FM04": 1, "FM08": 1, "DC01": 1, "DC02": 1, "DC03": 1, "X01": 1},
    "GD-08": {"FM03": 1, "CD02": 1, "RC01": 1, "RC02": 1, "RC03": 1},
    "GD-09": {"AS01": 1, "AS03": 1, "AS04": 1, "SY03": 1, "SY04": 1, "CD03": 1, "CD04": 1, "X05": 1},
    "GD-10": {"RS07": 1, "FM02": 1, "FM05": 1},
    "GD-11": {"RS02": 1, "RS05": 1},
    "GD-12": {"RS07": 1, "BO03": 1},
}

# The item keys README names for the per-item findings.
EXPECTED_ITEMS: dict[tuple[str, str], list[str]] = {
    ("GD-02", "FM01"): ["ZW-08|ZW-09", "ZW-10|ZW-11"],
    ("GD-02", "FM05"): ["ZT-2", "ZW-08", "ZW-09", "ZW-10", "ZW-11"],
    ("GD-02", "FM07"): ["Z-1", "Z-2"],
    ("GD-03", "RS08"): ["郑凯", "黄志明"],
    ("GD-05", "RS05"): ["XZ-2", "ZT-2"],
    ("GD-05", "CD05"): ["郭建国", "韩磊"],
    ("GD-07", "FM03"): ["DW-02#2", "DW-07#1"],
    ("GD-07", "FM04"): ["DW-09"],
    ("GD-07", "FM08"): ["DW-05#1"],
    ("GD-08", "RC03"): ["FM03 2024"],
    ("GD-08", "RC02"): ["FM07 2024"],
    ("GD-11", "RS05"): ["ZW-07"],
}

# README "要求特别覆盖的情形": where a rule is 不适用.
NOT_APPLICABLE: dict[str, set[str]] = {
    "RS02": {"GD-05", "GD-07", "GD-09", "GD-12"},
    "RS03": {"GD-06", "GD-10", "GD-12"},
    "RS04": {"GD-06", "GD-10", "GD-12"},
    "CD03": {"GD-06", "GD-10", "GD-12"},
    "CD04": {"GD-06", "GD-10", "GD-12"},
    "RS01": {"GD-10"},
}


@pytest.fixture(scope="module")
def results() -> dict[str, UnitResult]:
    """Every example unit checked with the default pack (as of the day after the periods end)."""
    compiled = compile_pack(load_pack())
    engine = Engine(compiled.ruleset)
    units = list(load_units([resource_dir("examples") / "records"]))
    assert all(isinstance(u, UnitRecord) for u in units), "every example record is valid"
    return {u.unit_id: check_unit(compiled, engine, u, dt.date(2026, 1, 15)) for u in units}


def test_examples_are_the_units_of_the_readme(results):
    """The README table lists exactly the bundled units."""
    assert sorted(results) == sorted(EXPECTED)


@pytest.mark.parametrize("unit_id", sorted(EXPECTED))
def test_unit_gives_the_findings_the_readme_announces(results, unit_id):
    """Per unit: which rules fire and how many findings each gives."""
    found = Counter(f.rule for f in results[unit_id].findings)
    assert dict(found) == EXPECTED[unit_id]


@pytest.mark.parametrize(("unit_id", "rule"), sorted(EXPECTED_ITEMS))
def test_per_item_findings_name_the_readme_items(results, unit_id, rule):
    """Per-item findings carry the items the README names (meetings, decisions, leaders, prior items)."""
    keys = sorted(f.item for f in results[unit_id].findings if f.rule == rule)
    assert keys == sorted(EXPECTED_ITEMS[(unit_id, rule)])


def test_every_rule_fires_somewhere_except_history_rules(results):
    """`pbcheck demo` shows every diagnosis of the catalogue at least once."""
    pack = load_pack()
    fired = {f.rule for r in results.values() for f in r.findings}
    expected = {rule.id for rule in pack.enabled_rules() if not rule.history}
    assert expected - fired == set()


def test_gd01_is_clean_and_checked_by_every_rule(results):
    """GD-01 is the compliant unit: nothing fired, nothing unknown, only history rules not applicable."""
    checks = results["GD-01"].checks
    assert results["GD-01"].findings == ()
    assert {s for r, s in checks.items() if r != "RC04"} == {"passed"}


@pytest.mark.parametrize("rule", sorted(NOT_APPLICABLE))
def test_not_applicable_where_the_readme_says(results, rule):
    """Yearly rules on half-year periods, RS02 outside 党支部, RS01 without a committee."""
    na = {uid for uid, r in results.items() if r.checks[rule] == "not_applicable"}
    assert na == NOT_APPLICABLE[rule]
